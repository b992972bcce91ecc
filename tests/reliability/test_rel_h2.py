"""HTTP/2 abuse against the real server with a raw h2 client: a rapid-reset burst (CVE-2023-44487
style) is cut off without hurting other clients, and 150 concurrent streams on one connection are all
answered with identical bytes."""

from __future__ import annotations

import json
import socket
import time
from collections import Counter
from typing import cast

import h2.config
import h2.connection
import h2.errors
import h2.events

from tests.support.bodies import NOVA, invoke_path
from tests.support.server import EmulatorProcess

BODY = json.dumps(
    {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse"},
        "imageGenerationConfig": {"width": 320, "height": 320},
    }
).encode()
HEADERS = [
    (":method", "POST"),
    (":path", invoke_path(NOVA)),
    (":scheme", "http"),
    (":authority", "127.0.0.1"),
]


def _connect(port: int) -> tuple[h2.connection.H2Connection, socket.socket]:
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True, header_encoding="utf-8"))
    sock = socket.create_connection(("127.0.0.1", port), timeout=30)
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    return conn, sock


def test_rapid_reset_burst(server: EmulatorProcess) -> None:
    """2,000 streams opened and cancelled at once on one connection: the server may drop that connection,
    but it keeps serving everyone else, at once."""
    conn, sock = _connect(server.port)
    try:
        for i in range(2000):
            stream = conn.get_next_available_stream_id()
            conn.send_headers(stream, HEADERS)
            conn.send_data(stream, BODY)
            conn.reset_stream(stream, h2.errors.ErrorCodes.CANCEL)
            if i % 100 == 99:
                sock.sendall(conn.data_to_send())
    except OSError:
        pass  # the server closed the abusive connection: allowed
    finally:
        sock.close()
    started = time.monotonic()
    assert server.alive()
    assert time.monotonic() - started < 5


def test_many_concurrent_streams(server: EmulatorProcess) -> None:
    """150 InvokeModel streams in flight on one connection: every one 200, every body the same bytes."""
    conn, sock = _connect(server.port)
    streams = []
    for _ in range(150):
        stream = conn.get_next_available_stream_id()
        streams.append(stream)
        conn.send_headers(stream, HEADERS)
        conn.send_data(stream, BODY, end_stream=True)
    sock.sendall(conn.data_to_send())
    status: dict[int, str] = {}
    bodies: dict[int, bytes] = {stream: b"" for stream in streams}
    ended: set[int] = set()
    deadline = time.monotonic() + 90
    with sock:
        while len(ended) < len(streams) and time.monotonic() < deadline:
            data = sock.recv(1 << 20)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ResponseReceived):
                    # header_encoding="utf-8": names and values arrive as str, not the bytes h2 declares
                    headers = cast(dict[str, str], dict(event.headers))
                    status[event.stream_id] = headers[":status"]
                elif isinstance(event, h2.events.DataReceived):
                    bodies[event.stream_id] += event.data
                    conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
                elif isinstance(event, (h2.events.StreamEnded, h2.events.StreamReset)):
                    ended.add(event.stream_id)
            sock.sendall(conn.data_to_send())
    assert Counter(status.values()) == {"200": 150}
    assert len(set(bodies.values())) == 1
    assert json.loads(next(iter(bodies.values())))["images"]
