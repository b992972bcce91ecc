"""Transport (docs/CONTRACT.md §2.1, §2.6): HTTP/1.1 and h2c prior knowledge on one port, identical responses,
request bodies with Content-Length, chunked, and HTTP/2 DATA without a length, and the 25,000,000-byte limit.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import h2.config
import h2.connection
import h2.events
import httpx
import pytest

from tests.support.bodies import NOVA, text_image
from tests.support.responses import check_success
from validator import messages

PATH = f"/model/{NOVA}/invoke"
VARYING = {"date", "x-amzn-requestid", "x-amzn-bedrock-invocation-latency", "connection", "content-length"}


def chunks(data: bytes, size: int = 1000) -> Iterator[bytes]:
    """An iterator body: httpx sends it chunked on HTTP/1.1 and as DATA frames without a length on HTTP/2."""
    for start in range(0, len(data), size):
        yield data[start : start + size]


def spaces(total: int, size: int = 1 << 20) -> Iterator[bytes]:
    while total > 0:
        yield b" " * min(size, total)
        total -= size


def h2_post(port: int, path: str, body_frames: list[bytes]) -> tuple[list[tuple[str, str]], bytes]:
    """A raw h2 client: prior knowledge, no content-length, the body in several DATA frames."""
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        conn.initiate_connection()
        headers = [
            (":method", "POST"),
            (":path", path),
            (":scheme", "http"),
            (":authority", f"127.0.0.1:{port}"),
        ]
        conn.send_headers(1, headers)
        for frame in body_frames:
            conn.send_data(1, frame)
        conn.end_stream(1)
        sock.sendall(conn.data_to_send())
        return _h2_read(conn, sock)


def _h2_read(conn: h2.connection.H2Connection, sock: socket.socket) -> tuple[list[tuple[str, str]], bytes]:
    response_headers: list[tuple[str, str]] = []
    body = bytearray()
    while True:
        data = sock.recv(65536)
        if not data:
            raise AssertionError("connection closed before the stream ended")
        for event in conn.receive_data(data):
            if isinstance(event, h2.events.ResponseReceived):
                response_headers = [(str(k), str(v)) for k, v in event.headers]
            elif isinstance(event, h2.events.DataReceived):
                body += event.data
                conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, h2.events.StreamEnded):
                return response_headers, bytes(body)
        sock.sendall(conn.data_to_send())


def stable(headers: httpx.Headers) -> dict[str, str]:
    return {k: v for k, v in headers.items() if k not in VARYING and k != "server"}


@pytest.mark.parametrize("body", [text_image(seed=21), b"{}"], ids=["success", "error"])
def test_same_response_over_both_protocols(emulator: Any, body: bytes) -> None:
    with (
        httpx.Client(base_url=emulator.url, timeout=60) as h1,
        httpx.Client(base_url=emulator.url, http1=False, http2=True, timeout=60) as h2c,
    ):
        one = h1.post(PATH, content=body)
        two = h2c.post(PATH, content=body)
    assert (one.http_version, two.http_version) == ("HTTP/1.1", "HTTP/2")
    assert one.status_code == two.status_code
    assert one.content == two.content
    assert stable(one.headers) == stable(two.headers)
    assert one.headers["connection"] == "keep-alive"
    assert "connection" not in two.headers


def test_raw_h2_data_without_length(emulator: Any) -> None:
    body = text_image(seed=22)
    headers, payload = h2_post(emulator.port, PATH, list(chunks(body, 7)))
    names = [name for name, _ in headers]
    assert names == [name.lower() for name in names]
    assert "connection" not in names
    assert dict(headers)[":status"] == "200"
    check_success(NOVA, body, payload)


def test_chunked_request_body(emulator: Any) -> None:
    body = text_image(seed=23)
    request = httpx.Request("POST", emulator.url + PATH, content=chunks(body))
    assert request.headers["transfer-encoding"] == "chunked"
    with httpx.Client(timeout=60) as client:
        response = client.send(request)
    assert response.status_code == 200
    check_success(NOVA, body, response.content)


def assert_too_large(response: httpx.Response) -> None:
    assert response.status_code == 400
    assert response.headers["x-amzn-errortype"] == "ValidationException" + messages.ERROR_TYPE_SUFFIX
    assert response.json() == {"message": messages.BODY_TOO_LARGE}


def test_content_length_over_the_limit_is_refused_before_reading(emulator: Any) -> None:
    """Only the headers are sent: the answer must come from Content-Length alone."""
    with socket.create_connection(("127.0.0.1", emulator.port), timeout=10) as sock:
        head = f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: {messages.MAX_BODY_BYTES + 1}\r\n\r\n"
        sock.sendall(head.encode())
        reply = sock.recv(65536).decode()
    assert reply.startswith("HTTP/1.1 400")
    assert reply.endswith('{"message":"' + messages.BODY_TOO_LARGE + '"}')


@pytest.mark.parametrize("http2", [False, True], ids=["chunked", "h2-data"])
def test_streamed_body_over_the_limit(emulator: Any, http2: bool) -> None:
    with httpx.Client(base_url=emulator.url, http1=not http2, http2=http2, timeout=60) as client:
        assert_too_large(client.post(PATH, content=spaces(messages.MAX_BODY_BYTES + 1)))


def test_body_at_the_limit_is_read(emulator: Any) -> None:
    """Exactly 25,000,000 bytes passes the size check and fails parsing instead (all spaces)."""
    with httpx.Client(base_url=emulator.url, timeout=60) as client:
        response = client.post(PATH, content=spaces(messages.MAX_BODY_BYTES))
    assert response.json() == {"message": messages.MALFORMED}
