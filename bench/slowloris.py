"""How many stalled request bodies does it take to make the real server stop answering?

    .venv/bin/python bench/slowloris.py --workers 1 --steps 50,100,200,250,300

For each step, opens that many connections that send an InvokeModel head with `Content-Length: 100` and one
byte of body, then stall; then times a health check and an InvokeModel from a fresh connection (10 s
timeout); then closes the stalled connections and checks the server recovers. Loopback only, bounded.
Granian has no request-body read timeout, so each stalled body holds one of the worker's 256 threads until
the server's connection reaper closes it, 120 s after its last byte (emulator/server.py).
"""

from __future__ import annotations

import argparse
import json
import socket
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.support, when run as a script from a checkout

from tests.support.bodies import NOVA, invoke_path  # noqa: E402
from tests.support.rawhttp import http_request  # noqa: E402
from tests.support.server import start_server  # noqa: E402


def probe(port: int) -> dict[str, object]:
    """Time a health check and a small InvokeModel (400 expected) on fresh connections."""
    out: dict[str, object] = {}
    for name, method, path, body in (
        ("health", "GET", "/_emulator/health", b""),
        ("invoke", "POST", invoke_path(NOVA), b"{}"),
    ):
        started = time.monotonic()
        try:
            status, _, _ = http_request(port, method, path, body, timeout=10)
            out[name] = {"status": status, "ms": round((time.monotonic() - started) * 1000, 1)}
        except OSError as exc:
            out[name] = {"status": None, "error": type(exc).__name__}
    return out


def step(port: int, count: int) -> dict[str, object]:
    head = f"POST {invoke_path(NOVA)} HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{{".encode()
    stalled = []
    try:
        for _ in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(head)
            stalled.append(sock)
        time.sleep(1)
        during = probe(port)
    finally:
        for sock in stalled:
            sock.close()
    time.sleep(1)
    return {"stalled": count, "during": during, "after_close": probe(port)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--steps", default="50,100,200,250,300")
    args = parser.parse_args(argv)
    results = []
    with tempfile.TemporaryDirectory(prefix="slowloris-") as tmp:
        server = start_server(Path(tmp), "slowloris", ["--workers", str(args.workers)])
        try:
            for count in (int(x) for x in args.steps.split(",")):
                results.append(step(server.port, count))
                print(json.dumps(results[-1]), flush=True)
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
