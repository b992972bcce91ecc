"""Raw HTTP/1.1 over a socket, for bodies, headers and framing no client library will send.

Everything here talks to 127.0.0.1 only, on a port the test started, and every wait is bounded.
"""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass
class RawResponse:
    """A parsed HTTP/1.1 response; `status` 0 when the connection closed without one."""

    status: int
    headers: dict[str, str]
    body: bytes
    elapsed: float

    def json(self) -> Any:
        return json.loads(self.body)


def read_response(sock: socket.socket, started: float) -> RawResponse:
    """Read one response (Content-Length framed, or until close) from `sock`."""
    data = b""
    while b"\r\n\r\n" not in data:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return RawResponse(0, {}, data, time.monotonic() - started)
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "-1"))
    while length < 0 or len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return RawResponse(status, headers, body, time.monotonic() - started)


def raw_exchange(port: int, data: bytes, *, timeout: float = 30, shut_write: bool = False) -> RawResponse:
    """Send `data` as is (a whole request, however broken), then read one response."""
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        if shut_write:
            try:
                sock.shutdown(socket.SHUT_WR)
            except OSError:  # the server already closed the connection
                return RawResponse(0, {}, b"", time.monotonic() - started)
        return read_response(sock, started)


def http_request(
    port: int,
    method: str,
    path: str,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 request with Content-Length and `Connection: close`."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    if method != "GET" or body:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    reply = raw_exchange(port, ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body, timeout=timeout)
    return reply.status, reply.headers, reply.body
