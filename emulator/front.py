"""The WSGI entry point: Bedrock Runtime requests run the pipeline directly, `/_emulator/` goes to Flask.

Every request outside `/_emulator/` is a Bedrock request (CONTRACT.md §2.2 routes on the raw path, whatever
the method): it gets a `Call` when it arrives (`open_call`), runs one operation view of `emulator.routes`
(`dispatch`), and `close_call` stamps the request id and latency headers, hands the call to `Hooks.finalize`
and logs one line. Errors are `emulator.errors` exceptions, rendered by `errors.render_exception`.

These requests do not go through Flask's dispatch: the pipeline takes its request explicitly, so Flask's
request context, URL map, hooks and signals (about 0.4 ms a call in the server, measured interleaved as
issue 3's speed targets are) are spent only on the control API, the health check and the journal page.
"""

from __future__ import annotations

import ctypes
import logging
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import Response, current_app, g, request
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request

from emulator import errors
from emulator.hooks import Call
from emulator.routes import (
    CONTROL_PREFIX,
    READ_CHUNK,
    STATE_KEY,
    EmulatorState,
    dispatch,
    parse_route,
    raw_request_path,
)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

access_log = logging.getLogger("nova_canvas_emulator.access")

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
        started = time.monotonic()
        st: EmulatorState = self._extensions[STATE_KEY]
        try:
            req = Request(environ)
            call = open_call(req, started)
        except Exception as exc:  # an environ werkzeug cannot read: still the JSON 500, not the server's
            method = str(environ.get("REQUEST_METHOD", "-"))
            return errors.render_exception(exc, method, request_path(environ))(environ, start_response)
        try:
            response = close_call(req, call, dispatch(req, call, st), st)
        except Exception as exc:  # a bug in close_call or a hook: still the JSON 500, never a server page
            response = errors.render_exception(exc, req.method, call.raw_path)
        finally:
            if len(call.body or b"") >= TRIM_AFTER_BYTES:
                # Queued after the journal write, which holds the call (body, report, parsed body) until
                # it is done; by the time the trim runs, they are freed.
                st.after.submit(trim_heap)
        return response(environ, start_response)


def request_path(environ: Mapping[str, Any]) -> str:
    """The path as werkzeug's `Request.path` gives it (PATH_INFO as UTF-8, one leading slash)."""
    path = str(environ.get("PATH_INFO") or "").encode("latin-1", "replace").decode("utf-8", "replace")
    return "/" + path.lstrip("/")


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Request headers, names lowercased (as in HTTP/2). An empty Content-Type is kept: it is not an absent
    one (§2.5.1), although werkzeug's `request.headers` drops it."""
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if key in environ:
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def open_call(req: Request, started: float) -> Call:
    """The `Call` for a Bedrock request, routed on the raw path (§2.2)."""
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
    """Stamp §2.7/§2.8 headers, let the test double finalize (journal, connection faults), log one line."""
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
    st: EmulatorState = current_app.extensions[STATE_KEY]
    if st.config.access_log:
        _log_request(st, req, None, response, g.get("started", time.monotonic()))
    return _passthrough(response)


def note_control_start() -> None:
    """Flask's `before_request` for `/_emulator/`: when the request arrived, for the log line."""
    g.started = time.monotonic()


def _checked_status(response: Response) -> Response:
    # Granian panics on a status it cannot send and the whole server stops; no path should produce one
    # (every status comes from the catalogue or a fixed table), so this only guards against regressions.
    return response if 200 <= response.status_code <= 599 else errors.InternalServerException().render()


def _passthrough(response: Response) -> Response:
    if response.is_sequence:
        # A complete body (not a fault's generator): hand the WSGI server the list itself, so Granian sends
        # it in one piece instead of iterating a wrapper in Python (issue 3 speed target).
        response.direct_passthrough = True
    return response


def _connection_header(req: Request, response: Response, call: Call | None) -> None:
    """§2.7's `Connection: keep-alive` (on Bedrock responses), only when the connection can carry another
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
    """One access-log line, written after the response (`emulator.after_response`)."""
    error_type = response.headers.get("x-amzn-ErrorType", "-").split(":", 1)[0]
    elapsed_ms = (time.monotonic() - started) * 1000
    args = (
        req.remote_addr or "-",
        req.method,
        call.raw_path if call is not None else req.path,
        req.environ.get("SERVER_PROTOCOL", "-"),
        response.status_code,
        error_type,
        elapsed_ms,
        call.request_id if call is not None else "-",
    )
    st.after.submit(lambda: access_log.info('%s "%s %s %s" %d %s %.1fms %s', *args))
