"""Server latency through boto3 over loopback, measured in one interleaved run (docs/PERFORMANCE.md).

Targets, all called with the same boto3 client settings and a default TEXT_IMAGE (1024x1024, one image):

  floor     the same server program (Granian, WSGI, HTTP auto, one worker) serving a minimal WSGI app that
            returns the emulator's response bytes, precomputed;
  repeat    the emulator, repeating one identical request (the response cache may answer);
  new-seed  the emulator with a new seed on every request (no cache can help: a real generation each time);
  moto      moto's `invoke_model` stub in server mode (`moto_server`), which returns `{}`;
  encoding  with --encoding-floor: the floor server also PNG-encoding the default picture on every
            request (the least work a new image costs); (c) is checked against it.
            Its encoding slows whatever comes next in the rotation, the floor included, so the ratios of a
            run with it are not comparable with those of a run without.
  (f), (g)  with --stability: the emulator answering a default Stable Image Ultra text-to-image request
            (`{"prompt": ...}` to stability.stable-image-ultra-v1:1, 1024x1024 PNG) with a new seed each time,
            against (g), the floor server returning Ultra's response bytes and encoding Ultra's picture in
            its output format on every request, with the emulator's encoder (docs/CONTRACT.md §S3.4).
  (b2), (c2) with --compare-tree PATH: (b) and (c) against the emulator of another source tree (a git
            worktree of another commit, say), for A/B measurements of a change in one run; their ratios to
            (b) and (c) are printed.

Requests rotate over the targets (a different starting target each round), so drift on a shared machine hits
all of them alike; a short pause after each call keeps one server's work after its response (the emulator
hands freed memory back to the system then) out of the next target's time. Prints a Markdown table of p50/p99
per target and the ratios to the floor.

    .venv/bin/python bench/server_bench.py [--rounds 150] [--pause-ms 3] [--check] [--encoding-floor]
                                           [--stability] [--compare-tree PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script from a checkout

from tests.support.server import free_port  # noqa: E402
from validator.stability.types import OutputFormat  # noqa: E402

MODEL = "amazon.nova-canvas-v1:0"
PROMPT = "a lighthouse on a cliff at dusk"
DEFAULT_BODY = json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": PROMPT}}).encode()
# (b): a repeated request costs at most 1.5x the floor. A new image cannot be held to a multiple of the floor
# (encoding one 1024x1024 PNG alone costs several floors on two cores), so (c) is held to the floor plus that
# encoding, (e), when --encoding-floor measures it.
TARGETS = {"(b) / (a)": 1.5, "(c) / (e)": 2.0, "(f) / (g)": 1.5}
ULTRA = "stability.stable-image-ultra-v1:1"
ULTRA_BODY = json.dumps({"prompt": PROMPT}).encode()


def ultra_body(seed: int) -> bytes:
    """The default Ultra request with an explicit seed: every seed is a new generation."""
    return json.dumps({"prompt": PROMPT, "seed": seed}).encode()


PAUSE_S = 0.003  # between two calls: longer than any server's work after its response (under 2 ms)


def seeded_body(seed: int) -> bytes:
    """The default request with an explicit seed: every seed is a new generation."""
    config = {"seed": seed}
    return json.dumps(
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": PROMPT}, "imageGenerationConfig": config}
    ).encode()


def wait_port(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listening on {port}")


def client(port: int) -> Any:
    return boto3.client(
        "bedrock-runtime",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="AKIDEXAMPLE",
        aws_secret_access_key="secret",
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


def start(
    command: list[str], port: int, ready: Callable[[int], None], tree: Path = ROOT
) -> subprocess.Popen[bytes]:
    """Start a server from the source tree `tree` (first on the import path) and wait until it is ready."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    proc = subprocess.Popen(command, cwd=tree, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ready(port)
    return proc


def wait_emulator(port: int) -> None:
    wait_port(port)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            boto3_ok = client(port).invoke_model(modelId=MODEL, body=DEFAULT_BODY)["body"].read()
            if boto3_ok:
                return
        except Exception:  # noqa: BLE001 - a worker still starting
            time.sleep(0.1)
    raise RuntimeError("emulator not answering")


# --- the floor server, in its own process: `server_bench.py --serve-floor PORT BODY_FILE` -------------------


def serve_floor(port: int, body_file: Path, encode_each: bool = False, stability: bool = False) -> None:
    """Granian exactly as the emulator runs it, with a WSGI app that only returns precomputed bytes; with
    `encode_each`, it also PNG-encodes the default request's picture (drawn once) on every request, with the
    emulator's encoder, and throws the PNG away: the least work any new 1024x1024 image costs. With
    `stability`, the picture is the default Ultra request's, encoded in its output format."""
    from emulator.config import EmulatorConfig
    from emulator.generators import render_images
    from emulator.generators.encoding import encode_image
    from emulator.generators.stability import render_stability
    from emulator.server import build_server
    from validator import validate_request
    from validator.stability.types import StabilityRequest

    body = body_file.read_bytes()
    typed = validate_request(ULTRA_BODY if stability else DEFAULT_BODY, ULTRA if stability else MODEL).request
    if isinstance(typed, StabilityRequest):
        pixels, output_format = render_stability(typed), typed.output_format
    else:
        assert typed is not None
        pixels, output_format = render_images(typed).images[0], OutputFormat.PNG
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("x-amzn-RequestId", "00000000-0000-4000-8000-000000000000"),
        ("X-Amzn-Bedrock-Invocation-Latency", "0"),
    ]

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        environ["wsgi.input"].read()
        if encode_each:
            encode_image(pixels, output_format)
        start_response("200 OK", headers)
        return [body]

    def loader(target: str) -> Callable[..., Any]:
        return app

    config = EmulatorConfig(port=port, access_log=False)
    build_server(config).serve(target_loader=loader)


# --- measurement ----------------------------------------------------------------------------------------


def timed_call(bedrock: Any, body: bytes, model: str = MODEL) -> float:
    started = time.perf_counter()
    out = bedrock.invoke_model(modelId=model, body=body)
    out["body"].read()
    return (time.perf_counter() - started) * 1000


def measure(
    calls: dict[str, Callable[[int], float]], rounds: int, warmup: int, pause_s: float = PAUSE_S
) -> dict[str, list[float]]:
    """Interleaved rounds; after every call a pause, so work a server does after answering (the emulator
    hands freed memory back to the system then) is over before the next target is timed, not charged to it."""
    names = list(calls)
    for index in range(warmup):
        for name in names:
            calls[name](-1 - index)
            spin(pause_s)
    samples: dict[str, list[float]] = {name: [] for name in names}
    for index in range(rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(calls[name](index))
            spin(pause_s)
    return samples


def spin(seconds: float) -> None:
    """Wait without sleeping: an idle core clocks down and a sleeping client wakes up slowly, which would
    slow every target's next call by far more than the work this wait is for."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def report(samples: dict[str, list[float]], response_bytes: int) -> tuple[str, dict[str, float]]:
    """The Markdown table, and each target ratio (p50 over the floor's p50)."""
    floor50, floor99 = percentile(samples["(a) floor"], 0.5), percentile(samples["(a) floor"], 0.99)
    lines = [
        f"Response body: {response_bytes:,} bytes; {len(samples['(a) floor'])} interleaved rounds.",
        "",
        "| Target | p50 ms | p99 ms | mean ms | p50 / floor | p99 / floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    ratios: dict[str, float] = {}
    for name, values in samples.items():
        p50, p99 = percentile(values, 0.5), percentile(values, 0.99)
        ratios[name.split(" ", 1)[0] + " / (a)"] = p50 / floor50
        lines.append(
            f"| {name} | {p50:.2f} | {p99:.2f} | {statistics.fmean(values):.2f} | "
            f"{p50 / floor50:.2f}x | {p99 / floor99:.2f}x |"
        )
    if "(e) / (a)" in ratios:
        ratios["(c) / (e)"] = ratios["(c) / (a)"] / ratios["(e) / (a)"]
    if "(g) / (a)" in ratios:
        ratios["(f) / (g)"] = ratios["(f) / (a)"] / ratios["(g) / (a)"]
    lines.append("")
    for key, limit in TARGETS.items():
        if key not in ratios:
            needs = "--stability" if key == "(f) / (g)" else "--encoding-floor"
            lines.append(f"Target {key} p50 <= {limit}x: not measured (needs {needs})")
            continue
        verdict = "met" if ratios[key] <= limit else "MISSED"
        lines.append(f"Target {key} p50 <= {limit}x: {ratios[key]:.2f}x, {verdict}")
    for target in ("b", "c"):
        mine, theirs = ratios[f"({target}) / (a)"], ratios.get(f"({target}2) / (a)")
        if theirs is not None:
            lines.append(
                f"({target}2) / ({target}) p50, the other tree against this one: {theirs / mine:.3f}x"
            )
    return "\n".join(lines), {key: ratios[key] for key in TARGETS if key in ratios}


def run(
    rounds: int,
    warmup: int,
    encoding_floor: bool = False,
    pause_s: float = PAUSE_S,
    compare_tree: Path | None = None,
    stability: bool = False,
) -> tuple[str, dict[str, float]]:
    emulator_port, floor_port, moto_port, encoding_port = free_port(), free_port(), free_port(), free_port()
    other_port, ultra_port = free_port(), free_port()
    bin_dir = Path(sys.executable).parent
    procs = [
        start([sys.executable, "-m", "emulator", "--port", str(emulator_port)], emulator_port, wait_emulator)
    ]
    try:
        response = client(emulator_port).invoke_model(modelId=MODEL, body=DEFAULT_BODY)["body"].read()
        body_file = Path(f"/tmp/server-bench-floor-{floor_port}.json")
        body_file.write_bytes(response)
        floor_cmd = [sys.executable, str(Path(__file__)), "--serve-floor", str(floor_port), str(body_file)]
        procs.append(start(floor_cmd, floor_port, wait_port))
        if encoding_floor:
            encoding_cmd = [*floor_cmd[:3], str(encoding_port), str(body_file), "--encode-each"]
            procs.append(start(encoding_cmd, encoding_port, wait_port))
        if stability:
            ultra = client(emulator_port).invoke_model(modelId=ULTRA, body=ULTRA_BODY)["body"].read()
            ultra_file = Path(f"/tmp/server-bench-ultra-{ultra_port}.json")
            ultra_file.write_bytes(ultra)
            ultra_cmd = [*floor_cmd[:3], str(ultra_port), str(ultra_file), "--encode-each", "--stability"]
            procs.append(start(ultra_cmd, ultra_port, wait_port))
        moto_cmd = [str(bin_dir / "moto_server"), "-H", "127.0.0.1", "-p", str(moto_port)]
        procs.append(start(moto_cmd, moto_port, wait_port))
        if compare_tree is not None:
            other_cmd = [sys.executable, "-m", "emulator", "--port", str(other_port)]
            procs.append(start(other_cmd, other_port, wait_emulator, compare_tree))
        emulator, floor, moto = client(emulator_port), client(floor_port), client(moto_port)
        other = client(other_port)
        encoder = client(encoding_port)
        ultra_floor = client(ultra_port)
        calls: dict[str, Callable[[int], float]] = {
            "(a) floor": lambda i: timed_call(floor, DEFAULT_BODY),
            "(b) emulator, repeated request": lambda i: timed_call(emulator, DEFAULT_BODY),
            "(c) emulator, new seed each time": lambda i: timed_call(emulator, seeded_body(100_000 + i)),
            "(d) moto server (stub, returns {})": lambda i: timed_call(moto, DEFAULT_BODY),
        }
        if compare_tree is not None:
            calls["(b2) other tree, repeated request"] = lambda i: timed_call(other, DEFAULT_BODY)
            calls["(c2) other tree, new seed each time"] = lambda i: timed_call(
                other, seeded_body(100_000 + i)
            )
        if encoding_floor:
            calls["(e) floor + one PNG encoding per request"] = lambda i: timed_call(encoder, DEFAULT_BODY)
        if stability:
            calls["(f) emulator, Ultra text-to-image, new seed each time"] = lambda i: timed_call(
                emulator, ultra_body(100_000 + i), ULTRA
            )
            calls["(g) floor + one Ultra encoding per request"] = lambda i: timed_call(
                ultra_floor, ULTRA_BODY, ULTRA
            )
        return report(measure(calls, rounds, warmup, pause_s), len(response))
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=150)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--pause-ms", type=float, default=PAUSE_S * 1000, help="spin this long after each call (default 3)"
    )
    parser.add_argument(
        "--encoding-floor", action="store_true", help="add (e), the floor plus one PNG encoding per request"
    )
    parser.add_argument("--compare-tree", type=Path, help="add (b2), (c2): the emulator of this source tree")
    parser.add_argument(
        "--stability",
        action="store_true",
        help="add (f), (g): Ultra text-to-image against its encoding floor",
    )
    parser.add_argument("--serve-floor", nargs=2, metavar=("PORT", "BODY_FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--encode-each", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_floor:
        serve_floor(int(args.serve_floor[0]), Path(args.serve_floor[1]), args.encode_each, args.stability)
        return 0
    started = time.monotonic()
    table, ratios = run(
        args.rounds, args.warmup, args.encoding_floor, args.pause_ms / 1000, args.compare_tree, args.stability
    )
    print(table)
    print(f"\nBench wall time: {time.monotonic() - started:.0f} s")
    missed = [key for key, limit in TARGETS.items() if ratios.get(key, 0.0) > limit]
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
