"""Limits under load, for security: several large bodies at once keep the server responsive and its
memory bounded; answers stay exact. Memory is read from /proc (VmRSS of the Granian workers)."""

from __future__ import annotations

import base64
import io
import json
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

from tests.support.bodies import NOVA, invoke_path
from tests.support.rawhttp import http_request
from tests.support.responses import BODY_TOO_LARGE, MAX_BODY, assert_bedrock_error
from tests.support.server import EmulatorProcess, start_server

PATH = invoke_path(NOVA)
TEXT_IMAGE = json.dumps(
    {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a cat"},
        "imageGenerationConfig": {"width": 320, "height": 320},
    }
).encode()
BIG = 24_000_000


def schema(violation: str) -> str:
    return f"Malformed input request: {violation}, please reformat your input and try again."


def padded_valid() -> bytes:
    return TEXT_IMAGE + b" " * (BIG - len(TEXT_IMAGE))


def long_text() -> bytes:
    text = "a" * (BIG - 60)
    return json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": text}}).encode()


def long_list() -> bytes:
    return b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"},"x":[' + b"1," * (BIG // 2) + b"1]}"


LARGE_BODIES: dict[str, tuple[Callable[[], bytes], int, str | None]] = {
    "valid-padded": (padded_valid, 200, None),
    "text-24MB": (
        long_text,
        400,
        schema(f"#/textToImageParams/text: expected maxLength: 1024, actual: {BIG - 60}"),
    ),
    "list-12M-items": (long_list, 400, schema("#: extraneous key [x] is not permitted")),
    "over-limit": (lambda: b" " * (MAX_BODY + 1), 400, BODY_TOO_LARGE),
}


def test_concurrent_large_bodies(server2: EmulatorProcess) -> None:
    """Four 24-25 MB bodies in flight at once, twice over, against two workers: every answer exact, health
    answered within 5 s throughout, worker memory bounded (well under 1.5 GB above idle)."""
    bodies = {name: make() for name, (make, _, _) in LARGE_BODIES.items()}
    idle = server2.rss_kib()
    results: dict[str, list[httpx.Response]] = {name: [] for name in bodies}
    errors: list[BaseException] = []

    def send(name: str) -> None:
        try:
            with httpx.Client(base_url=server2.url, timeout=120) as client:
                for _ in range(2):
                    results[name].append(client.post(PATH, content=bodies[name]))
        except BaseException as exc:  # reported below, in the test thread
            errors.append(exc)

    threads = [threading.Thread(target=send, args=(name,)) for name in bodies]
    for thread in threads:
        thread.start()
    health, peak = [], idle
    deadline = time.monotonic() + 120
    while any(t.is_alive() for t in threads) and time.monotonic() < deadline:
        started = time.monotonic()
        status, _, _ = http_request(server2.port, "GET", "/_emulator/health", timeout=10)
        health.append((status, time.monotonic() - started))
        peak = max(peak, server2.rss_kib())
        time.sleep(0.1)
    for thread in threads:
        thread.join(10)
    slowest = max(elapsed for _, elapsed in health)
    print(f"idle {idle // 1024} MiB, peak +{(peak - idle) // 1024} MiB, slowest health {slowest:.3f} s")
    assert not errors, errors
    assert all(status == 200 for status, _ in health)
    assert slowest < 5, health  # both workers parse 24 MB of JSON (CPU, GIL) while health waits its turn
    assert (peak - idle) < 1_500_000, f"memory grew by {(peak - idle) // 1024} MiB"
    for name, (_, status, message) in LARGE_BODIES.items():
        assert len(results[name]) == 2
        for reply in results[name]:
            if message is None:
                assert reply.status_code == status
            else:
                assert_bedrock_error(
                    reply.status_code, dict(reply.headers), reply.content, "ValidationException", message
                )
    assert server2.alive()


def extraneous_keys(tag: int, count: int) -> bytes:
    keys = b",".join(b'"k%d_%d":0' % (tag, i) for i in range(count))
    return b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"},' + keys + b"}"


def test_memory_stays_bounded_with_many_violations(tmp_path: Path) -> None:
    """Four different 2 MB bodies, each with 150,000 extraneous keys: each answered, and the worker keeps
    less than 100 MB more than it started with (it kept ~50 MB per request)."""
    srv = start_server(tmp_path, "violations")
    try:
        idle = srv.rss_kib()
        with httpx.Client(base_url=srv.url, timeout=120) as client:
            for tag in range(4):
                reply = client.post(PATH, content=extraneous_keys(tag, 150_000))
                assert reply.status_code == 400
                assert reply.json()["message"].startswith(
                    f"Malformed input request: #: extraneous key [k{tag}_0] is not permitted, "
                )
        grown = srv.rss_kib() - idle
        assert srv.alive()
    finally:
        srv.stop()
    assert grown < 100_000, f"worker memory grew by {grown // 1024} MiB"


def _state_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def test_journal_entry_size_is_bounded(tmp_path: Path) -> None:
    srv = start_server(tmp_path, "journal")
    state = srv.state_path
    assert state is not None  # start_server puts it next to the log
    try:
        before = _state_bytes(state)
        reply = httpx.post(srv.url + PATH, content=extraneous_keys(0, 150_000), timeout=120)
        assert reply.status_code == 400
        grown = _state_bytes(state) - before
    finally:
        srv.stop()
    assert grown < 5_000_000, f"the journal grew by {grown // 1_000_000} MB for one call"


def test_default_state_directory_is_removed_at_exit(tmp_path: Path) -> None:
    srv = start_server(tmp_path, "state", env={"NOVA_EMULATOR_STATE_PATH": None})
    try:
        state = Path(httpx.get(srv.url + "/_emulator/config", timeout=10).json()["state_path"])
        assert state.exists()
    finally:
        assert srv.stop() == 0
    left_behind = state.parent.exists()
    shutil.rmtree(state.parent, ignore_errors=True)  # the directory this test's server created
    assert not left_behind, f"{state.parent} left behind"


def test_concurrent_maximal_pictures_stay_within_the_generation_budget(tmp_path: Path) -> None:
    """Six Stability Outpaints at once, each 50 megapixels (a 3072x3072 picture grown by 2,000 pixels on every
    side: the largest output any model gives), against one worker: every answer complete, and the worker
    draws them a few at a time (`emulator.gate`), so its memory grows by well under what six at once take
    (about 1.6 GB measured without the bound, 0.8 GB with it)."""
    rng = np.random.default_rng(1)
    picture = Image.fromarray(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8)).resize((3072, 3072))
    encoded = io.BytesIO()
    picture.save(encoded, "JPEG", quality=80)
    image = base64.b64encode(encoded.getvalue()).decode()
    request = {"image": image, "left": 2000, "right": 2000, "up": 2000, "down": 2000, "prompt": "sea"}
    bodies = [json.dumps({**request, "seed": n}).encode() for n in range(1, 7)]
    path = "/model/us.stability.stable-outpaint-v1:0/invoke"
    srv = start_server(tmp_path, "pictures", ["--workers", "1"])
    try:
        idle = srv.rss_kib()
        answers: list[tuple[int, bytes]] = []
        errors: list[BaseException] = []

        def send(body: bytes) -> None:
            try:
                reply = httpx.post(srv.url + path, content=body, timeout=300)
                answers.append((reply.status_code, reply.content[:200]))
            except BaseException as exc:  # reported below, in the test thread
                errors.append(exc)

        threads = [threading.Thread(target=send, args=(body,)) for body in bodies]
        for thread in threads:
            thread.start()
        peak = idle
        while any(t.is_alive() for t in threads):
            peak = max(peak, srv.rss_kib())
            time.sleep(0.02)
        assert not errors, errors
        assert [status for status, _ in answers] == [200] * 6
        assert all(start.startswith(b'{"seeds":[') for _, start in answers)
        assert (peak - idle) < 1_200_000, f"memory grew by {(peak - idle) // 1024} MiB"
        assert srv.alive()
    finally:
        srv.stop()
