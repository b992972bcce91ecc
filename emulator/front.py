"""The WSGI entry point: Bedrock Runtime requests run the pipeline directly, `/_emulator/` goes to Flask.

Every request outside `/_emulator/` is a Bedrock request (routed on the raw path whatever the method,
docs/CONTRACT.md §2.2): it gets a `Call` when it arrives (`open_call`), runs `emulator.pipeline`, and
`close_call` stamps the request id and latency headers, hands the call to `Hooks.finalize` and logs one line.

These requests do not go through Flask's dispatch: the pipeline takes its request explicitly, so Flask's
request context, URL map, hooks and signals (about 0.4 ms a call in the server) are spent only on the control
API, the health check and the journal page.
"""

from __future__ import annotations

import ctypes
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Response, g, request
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request

from emulator import errors, pipeline
from emulator.call import Call
from emulator.logs import access_log, printable
from emulator.routes import CONTROL_PREFIX, parse_route
from emulator.state import STATE_KEY, EmulatorState, current_state
from emulator.wire import READ_CHUNK, raw_request_path, request_headers, request_path

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

TRIM_AFTER_BYTES = 1 << 20
DRAIN_LIMIT = 1 << 20  # an unread body up to this size is read and dropped to keep the connection


class BedrockFront:
    """WSGI middleware in front of the Flask app (`app.wsgi_app`): Bedrock paths here, the rest to Flask.

    The emulator state is read from the app's extensions on every request, so a test may swap it.
    """

    def __init__(self, flask_wsgi: WSGIApp, extensions: Mapping[str, Any]) -> None:
        self._flask_wsgi = flask_wsgi
        self._extensions = extensions

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if request_path(environ).startswith(CONTROL_PREFIX):
            return self._flask_wsgi(environ, start_response)
        response, body_size = self._bedrock(environ)
        if body_size >= TRIM_AFTER_BYTES:
            trim_heap()  # the call (body, report, parsed document) is gone with `_bedrock`'s frame
        return response(environ, start_response)

    def _bedrock(self, environ: dict[str, Any]) -> tuple[Response, int]:
        """The response to a Bedrock request, and the size of its body."""
        started = time.monotonic()
        st: EmulatorState = self._extensions[STATE_KEY]
        try:
            req = Request(environ)
            call = open_call(req, started)
        except Exception as exc:  # an environ werkzeug cannot read: still the JSON 500, not the server's
            method = str(environ.get("REQUEST_METHOD", "-"))
            return errors.render_exception(exc, method, request_path(environ)), 0
        try:
            response = close_call(req, call, pipeline.run(req, call, st), st)
        except Exception as exc:  # a bug in close_call or a hook: still the JSON 500, never a server page
            response = errors.render_exception(exc, req.method, call.raw_path)
        return response, len(call.body or b"")


def open_call(req: Request, started: float) -> Call:
    """The `Call` for a Bedrock request, routed on the raw path."""
    path, encoded = raw_request_path(req.environ)
    route = parse_route(req.method, path, encoded)
    return Call(
        request_id=str(uuid.uuid4()),
        method=req.method,
        raw_path=path,
        operation=route.operation,
        raw_model_id=route.model_id,
        headers=request_headers(req.environ),
        started=started,
        encoded_path=encoded,
    )


def close_call(req: Request, call: Call, response: Response, st: EmulatorState) -> Response:
    """Stamp the request id (every response) and the invocation latency (200s), let the test double
    finalize (journal, connection faults), log one line."""
    response = _checked_status(response)
    if req.environ.get("SERVER_PROTOCOL") == "HTTP/1.1":
        _connection_header(req, response, call)
    response.headers["x-amzn-RequestId"] = call.request_id
    if response.status_code == 200:
        elapsed_ms = int((time.monotonic() - call.started) * 1000)
        response.headers["X-Amzn-Bedrock-Invocation-Latency"] = str(elapsed_ms)
    response = _passthrough(st.hooks.finalize(call, response))
    if st.config.access_log:
        _log_request(st, req, call, response, call.started)
    return response


def close_control_request(response: Response) -> Response:
    """Flask's `after_request` for `/_emulator/`: the same status guard, connection handling and log line
    as a Bedrock request, without the Bedrock headers."""
    req = request._get_current_object()  # type: ignore[attr-defined]
    response = _checked_status(response)
    if req.environ.get("SERVER_PROTOCOL") == "HTTP/1.1":
        _connection_header(req, response, None)
    st = current_state()
    if st.config.access_log:
        _log_request(st, req, None, response, g.get("started", time.monotonic()))
    return _passthrough(response)


def note_control_start() -> None:
    """Flask's `before_request` for `/_emulator/`: when the request arrived, for the log line."""
    g.started = time.monotonic()


def _checked_status(response: Response) -> Response:
    # Granian panics on a status it cannot send and the whole server stops; no path should produce one
    # (every status comes from the catalogue or a fixed table), so this only guards against regressions.
    if 200 <= response.status_code <= 599:
        return response
    return errors.render_error(errors.bedrock_error(errors.INTERNAL))


def _passthrough(response: Response) -> Response:
    if response.is_sequence:
        # A complete body (not a fault's generator): hand the WSGI server the list itself, so Granian sends
        # it in one piece instead of iterating a wrapper in Python.
        response.direct_passthrough = True
    return response


def _connection_header(req: Request, response: Response, call: Call | None) -> None:
    """Bedrock's `Connection: keep-alive` (on Bedrock responses), only when the connection can carry another
    request. A client that sent `Connection: close` gets Granian's own `close`. A body left unread by an
    early error (unknown operation, strict auth, body size) would make Granian drop the connection after
    the response: one of up to `DRAIN_LIMIT` bytes is read and dropped, a larger one (or one of unknown
    length) gets `close`, so the client knows not to reuse it."""
    if "close" in req.headers.get("Connection", "").lower():
        return
    if not _body_consumed(req, call):
        response.headers["Connection"] = "close"
    elif call is not None:
        response.headers["Connection"] = "keep-alive"


def _body_consumed(req: Request, call: Call | None) -> bool:
    """True when nothing of the request body is left to read (after draining a small one)."""
    length = req.content_length
    if (call is not None and call.body is not None) or length == 0:
        return True
    if length is None:  # chunked, or no body at all
        return "chunked" not in req.headers.get("Transfer-Encoding", "").lower()
    if length > DRAIN_LIMIT:
        return False
    try:
        while req.stream.read(READ_CHUNK):
            pass
    except (ClientDisconnected, OSError):
        return False
    return True


def trim_heap() -> None:
    """After a large body, hand freed memory back to the OS with `malloc_trim(0)` (glibc; else a no-op).

    A request with a few MB of JSON can peak at hundreds of MB of Python objects (150,000 extraneous keys:
    the parsed body, one ContractError each, a 7 MB message). Once they are freed, glibc keeps most of
    those pages in its free lists, so the worker's RSS stays near the peak of the largest request seen
    (about +75 MB in-process for four such 2 MB bodies, while tracemalloc counts 6 MB live); the trim
    returns them (+35 MB). Only after large bodies: it walks the whole heap.
    """
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    return trim


_MALLOC_TRIM = _malloc_trim()


def _log_request(
    st: EmulatorState, req: Request, call: Call | None, response: Response, started: float
) -> None:
    """One access-log line. Text from the request
    is escaped (`printable`): a decoded `%0A` or `%1B` in the path must not forge a line or style a
    terminal."""
    error_type = response.headers.get("x-amzn-ErrorType", "-").split(":", 1)[0]
    elapsed_ms = (time.monotonic() - started) * 1000
    args = (
        printable(req.remote_addr or "-"),
        printable(req.method),
        printable(call.raw_path if call is not None else req.path),
        printable(str(req.environ.get("SERVER_PROTOCOL", "-"))),
        response.status_code,
        error_type,
        elapsed_ms,
        call.request_id if call is not None else "-",
    )
    access_log.info('%s "%s %s %s" %d %s %.1fms %s', *args)
