"""The server process under stress: SIGTERM with calls in flight finishes them; injected connection
faults and stalls never take the server down. Fault rules go through the control API of our own server."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path

import httpx

from tests.support.bodies import NOVA, invoke_path
from tests.support.rawhttp import http_request
from tests.support.server import start_server

BODY = json.dumps(
    {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse"},
        "imageGenerationConfig": {"width": 320, "height": 320},
    }
).encode()


def add_rule(url: str, rule: dict[str, object]) -> None:
    reply = httpx.post(url + "/_emulator/rules", json=rule, timeout=10)
    assert reply.status_code in (200, 201), reply.text


def test_sigterm_finishes_calls_in_flight(tmp_path: Path) -> None:
    """Four calls held 1.5 s by a latency rule on two workers; SIGTERM at 0.5 s: all four still get their 200,
    and the server exits 0 soon after."""
    srv = start_server(tmp_path, "term", ["--workers", "2"])
    try:
        add_rule(srv.url, {"action": {"latency_ms": 1500}})
        results: list[object] = []

        def call() -> None:
            try:
                results.append(httpx.post(srv.url + invoke_path(NOVA), content=BODY, timeout=30).status_code)
            except httpx.HTTPError as exc:
                results.append(type(exc).__name__)

        threads = [threading.Thread(target=call) for _ in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        srv.proc.send_signal(signal.SIGTERM)
        for thread in threads:
            thread.join(30)
        assert srv.proc.wait(20) == 0
    finally:
        srv.stop()
    assert results == [200, 200, 200, 200]


def test_connection_faults_leave_the_server_serving(tmp_path: Path) -> None:
    """Each connection-level fault (reset, empty, truncate, invalid JSON) and a short stall, fired once:
    the call fails as designed, and the next call is served normally."""
    srv = start_server(tmp_path, "faults")
    try:
        for action in [
            {"fault": "reset"},
            {"fault": "empty"},
            {"fault": "truncate"},
            {"fault": "invalid_json"},
            {"stall_s": 2},
        ]:
            add_rule(srv.url, {"action": action, "times": 1})
            try:
                httpx.post(srv.url + invoke_path(NOVA), content=BODY, timeout=1)
            except httpx.HTTPError:
                pass  # the fault itself
            status, _, body = http_request(srv.port, "POST", invoke_path(NOVA), BODY, timeout=30)
            assert status == 200, (action, body[:200])
            assert srv.alive(), action
    finally:
        srv.stop()
