"""Connection-level faults, made real on the socket by the production server (Granian 2.8, WSGI).

What each fault looks like on the wire (HTTP/1.1), found by experiment with Granian 2.8.7:

* `reset` and `empty`: the connection is closed before a single response byte is sent. A WSGI application
  cannot make the kernel send a TCP RST, so both close with FIN; a client cannot tell them apart at the HTTP
  level either: botocore raises `ConnectionClosedError` for both (urllib3 `ProtocolError`, "Connection was
  closed before we received a valid response") and retries it in legacy and standard mode. Mechanism: the
  response declares a `Content-Length` that is not a number; Granian's HTTP layer refuses to serialise such a
  head and drops the connection, deterministically, and the worker keeps serving.
* `truncate`: the status line and headers go out with the true `Content-Length`, then only the first half of
  the body, then the connection closes. The generator waits briefly before failing because Granian drops
  chunks still queued when an iterator raises (without the pause, 1 run in 15 kept the partial body).
  For InvokeModel's 200 (a streaming blob in botocore) the call returns and `response["body"].read()` raises
  `IncompleteReadError`/`ResponseStreamingError`; nothing is retried, as with a real broken transfer.
* `invalid_json`: a complete, well-framed response (same status and headers, correct `Content-Length`) whose
  body is the first half of the real body, so it never parses as JSON.

Over h2c (HTTP/2 prior knowledge) Granian passes the bogus length through in the HEADERS frame, so a
conforming client rejects the response as a protocol error (python h2: "Invalid content-length header");
`truncate` ends the stream short of its declared length (httpx: `InvalidBodyLengthError`).

Two things Granian does that are *not* faults, for the record: a list body shorter than its `Content-Length`
keeps the connection open (the client waits for its read timeout), and an iterator that raises without a
`Content-Length` ends a chunked body cleanly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from flask import Response

# How long the truncating generator waits after its last chunk so Granian flushes it before the abort.
TRUNCATE_FLUSH_S = 0.1
INVALID_CONTENT_LENGTH = "connection-fault"  # a non-numeric length: the server drops the connection


class InjectedConnectionFault(Exception):
    """Raised inside a response body to make the server abort the connection (logged by the server)."""


def apply(kind: str, response: Response) -> Response:
    """The response that realises connection fault `kind` for `response` (returned unchanged if unknown)."""
    if kind in ("reset", "empty"):
        return _close_without_response(response)
    if kind == "truncate":
        return _truncated(response)
    if kind == "invalid_json":
        return _invalid_json(response)
    return response


def _copy_headers(source: Response, target: Response) -> Response:
    for name, value in source.headers.items():
        if name.lower() not in ("content-length", "content-type"):
            target.headers[name] = value
    return target


def _close_without_response(response: Response) -> Response:
    # A streamed body keeps Werkzeug from replacing the bogus length with the real one.
    closing = Response(_nothing(), status=response.status_code, content_type=response.content_type)
    closing.headers["Content-Length"] = INVALID_CONTENT_LENGTH
    return closing


def _nothing() -> Iterator[bytes]:
    yield b""


def _truncated(response: Response) -> Response:
    body = response.get_data()
    cut = Response(
        _half_then_abort(body[: len(body) // 2]),
        status=response.status_code,
        content_type=response.content_type,
    )
    cut.headers["Content-Length"] = str(len(body))
    return _copy_headers(response, cut)


def _half_then_abort(part: bytes) -> Iterator[bytes]:
    if part:
        yield part
    time.sleep(TRUNCATE_FLUSH_S)
    raise InjectedConnectionFault("truncated body injected by a test-double rule")


def _invalid_json(response: Response) -> Response:
    body = response.get_data()
    # A strict prefix of a JSON object never parses; keep at least `{` so the body is not empty.
    broken = Response(
        body[: max(1, len(body) // 2)], status=response.status_code, content_type=response.content_type
    )
    return _copy_headers(response, broken)
