"""Soak the real server: concurrent clients, mixed tasks, each answer byte-identical to the request alone.

    .venv/bin/python bench/soak.py --duration 300 --workers 2 --httpx 3 --h2 1 --boto3 2

Starts two servers on free loopback ports: a *reference* (one worker, response cache off) that answers each
distinct request once, alone, and the *soak* server (`--workers`, cache off by default so every request is
generated again) that the clients hammer for `--duration` seconds. Clients are threads: httpx over HTTP/1.1,
httpx over h2c, and boto3 (`invoke_model`). The mix is every (model, task) the contract serves, several
seeds, and a few requests with exact 4xx answers. An error is any exception, any status or body that differs
from the reference. Prints a JSON summary (throughput, p50/p99 latency, errors) on stdout.

`tests/reliability/test_rel_soak.py` runs the same `run_soak` for 20 s as part of the test suite.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script from a checkout

from tests.support.bodies import invoke_path, valid_bodies  # noqa: E402
from tests.support.server import EmulatorProcess, start_server  # noqa: E402


@dataclass(frozen=True)
class Case:
    """One distinct request: model id, body bytes, and the reference answer (status, body)."""

    name: str
    model: str
    body: bytes
    status: int = 0
    answer: bytes = b""


def mix(seeds: tuple[int, ...] = (1, 2)) -> list[Case]:
    """Every (model, task) the contract serves at each seed, plus requests with exact 400s."""
    cases = []
    for key, body in sorted(valid_bodies().items()):
        model = key.rsplit("/", 1)[0]
        for seed in seeds:
            if "imageGenerationConfig" in body:
                body = {**body, "imageGenerationConfig": {**body["imageGenerationConfig"], "seed": seed}}
            elif seed != seeds[0]:
                continue  # BACKGROUND_REMOVAL takes no seed: one case is enough
            cases.append(Case(f"{key}@{seed}", model, json.dumps(body).encode()))
    bad = {
        "malformed": b"{",
        "schema": b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":""}}',
        "semantic": b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"},'
        b'"imageGenerationConfig":{"width":1000,"height":1000}}',
    }
    cases += [Case(f"error/{name}", "amazon.nova-canvas-v1:0", body) for name, body in bad.items()]
    return cases


def reference(url: str, cases: list[Case]) -> list[Case]:
    """Each request made alone, one after another, against a single-worker server."""
    done = []
    with httpx.Client(base_url=url, timeout=120) as client:
        for case in cases:
            reply = client.post(invoke_path(case.model), content=case.body)
            done.append(Case(case.name, case.model, case.body, reply.status_code, reply.content))
    return done


@dataclass
class Tally:
    """What one client thread saw."""

    kind: str
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    bytes_in: int = 0


def _httpx_sender(url: str, http2: bool) -> tuple[Callable[[Case], tuple[int, bytes]], Callable[[], None]]:
    client = httpx.Client(base_url=url, http1=not http2, http2=http2, timeout=120)

    def send(case: Case) -> tuple[int, bytes]:
        reply = client.post(invoke_path(case.model), content=case.body)
        if http2 and reply.http_version != "HTTP/2":
            raise AssertionError(f"expected HTTP/2, got {reply.http_version}")
        return reply.status_code, reply.content

    return send, client.close


def _boto3_sender(url: str) -> tuple[Callable[[Case], tuple[int, bytes]], Callable[[], None]]:
    client = boto3.client(
        "bedrock-runtime",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="soak",
        config=Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=120),
    )

    def send(case: Case) -> tuple[int, bytes]:
        try:
            out = client.invoke_model(modelId=case.model, body=case.body)
        except client.exceptions.ValidationException as exc:
            message = exc.response["Error"]["Message"]
            return 400, json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False).encode()
        return out["ResponseMetadata"]["HTTPStatusCode"], out["body"].read()

    return send, client.close


def _client_loop(kind: str, url: str, cases: list[Case], until: float, seed: int, tally: Tally) -> None:
    maker = {"httpx": lambda: _httpx_sender(url, False), "h2": lambda: _httpx_sender(url, True)}
    send, close = maker[kind]() if kind in maker else _boto3_sender(url)
    rng = random.Random(seed)
    try:
        while time.monotonic() < until:
            case = rng.choice(cases)
            started = time.monotonic()
            try:
                status, body = send(case)
            except Exception as exc:  # counted: the soak reports every failure
                tally.errors.append(f"{kind} {case.name}: {type(exc).__name__}: {exc}")
                continue
            tally.latencies.append(time.monotonic() - started)
            tally.bytes_in += len(body)
            if (status, body) != (case.status, case.answer):
                problem = f"status {status}, {len(body)} bytes differ from alone"
                tally.errors.append(f"{kind} {case.name}: {problem}")
    finally:
        close()


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0-100)."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def run_soak(
    url: str, cases: list[Case], duration: float, clients: dict[str, int], progress: bool = False
) -> dict[str, Any]:
    """Run the client threads against `url` for `duration` seconds; return the summary."""
    until = time.monotonic() + duration
    tallies, threads = [], []
    for kind, count in clients.items():
        for i in range(count):
            tally = Tally(kind)
            tallies.append(tally)
            seed = 1000 * len(threads) + i
            thread = threading.Thread(
                target=_client_loop, args=(kind, url, cases, until, seed, tally), daemon=True
            )
            threads.append(thread)
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(duration + 180)
    elapsed = time.monotonic() - started
    latencies = [x for t in tallies for x in t.latencies]
    errors = [e for t in tallies for e in t.errors]
    summary = {
        "duration_s": round(elapsed, 1),
        "clients": clients,
        "distinct_requests": len(cases),
        "requests": len(latencies) + len(errors),
        "errors": len(errors),
        "error_samples": errors[:10],
        "throughput_rps": round(len(latencies) / elapsed, 1),
        "mbytes_per_s": round(sum(t.bytes_in for t in tallies) / elapsed / 1e6, 2),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies, default=0) * 1000, 1),
        "per_client": {
            k: sum(len(t.latencies) for t in tallies if t.kind == k) for k in clients if clients[k]
        },
        "threads_stuck": sum(1 for t in threads if t.is_alive()),
    }
    return summary


def journal_check(url: str) -> dict[str, Any]:
    """The journal after the run: its newest id (one per call: none lost), how many entries it holds, and
    which worker processes served the newest 1000 calls."""
    with httpx.Client(base_url=url, timeout=60) as client:
        page = client.get("/_emulator/journal", params={"limit": 1000, "order": "desc"}).json()
    entries = page["entries"]
    return {
        "journal_last_id": entries[0]["id"] if entries else 0,
        "journal_total": page["total"],
        "journal_workers": len({e.get("worker_pid") for e in entries}),
        "journal_statuses": sorted({e.get("status") for e in entries}),
    }


def soak(
    tmp: Path, duration: float, workers: int, clients: dict[str, int], cache: bool = False
) -> dict[str, Any]:
    """Start the reference and soak servers, record the reference answers, soak, stop both."""
    cache_env = {} if cache else {"NOVA_EMULATOR_RESPONSE_CACHE_SIZE": "0"}
    ref = start_server(tmp, "reference", env={"NOVA_EMULATOR_RESPONSE_CACHE_SIZE": "0"})
    try:
        cases = reference(ref.url, mix())
    finally:
        ref.stop()
    target: EmulatorProcess = start_server(tmp, "soak", ["--workers", str(workers)], env=cache_env)
    try:
        summary = run_soak(target.url, cases, duration, clients)
        summary["workers"] = workers
        summary["response_cache"] = cache
        summary.update(journal_check(target.url))
        summary["server_alive_after"] = target.alive()
        summary["server_rss_mib_after"] = target.rss_kib() // 1024
    finally:
        target.stop()
    return summary


def main(argv: list[str] | None = None) -> int:
    """Command line: run one soak and print its summary; exit 1 on any error."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=120, help="seconds of load (default 120)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes (default 2)")
    parser.add_argument("--httpx", type=int, default=3, help="httpx HTTP/1.1 client threads (default 3)")
    parser.add_argument("--h2", type=int, default=1, help="httpx h2c client threads (default 1)")
    parser.add_argument("--boto3", type=int, default=2, help="boto3 client threads (default 2)")
    parser.add_argument("--cache", action="store_true", help="keep the server's response cache on")
    args = parser.parse_args(argv)
    clients = {"httpx": args.httpx, "h2": args.h2, "boto3": args.boto3}
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        summary = soak(Path(tmp), args.duration, args.workers, clients, args.cache)
    print(json.dumps(summary, indent=2))
    return 0 if summary["errors"] == 0 and summary["server_alive_after"] else 1


if __name__ == "__main__":
    sys.exit(main())
