"""Bedrock Runtime routes: raw-path routing (CONTRACT.md §2.2) and one thin view per operation (§2.4).

Every request outside `/_emulator/` gets a `Call` when it arrives (`open_call`); the catch-all `dispatch` view
routes it on the raw path to one of four operation views through the `VIEWS` table; `close_call` stamps the
request id and latency headers, hands the call to `Hooks.finalize` and logs one line. Errors are raised as
`emulator.errors` exceptions and rendered by the one handler there.
"""

from __future__ import annotations

import base64
import ctypes
import json
import logging
import math
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from urllib.parse import unquote

from flask import Blueprint, Response, current_app, g, request
from flask.globals import request_ctx
from werkzeug.exceptions import ClientDisconnected, MethodNotAllowed, NotFound

from emulator import auth, errors
from emulator.cache import LRUCache, body_digest
from emulator.config import EmulatorConfig
from emulator.errors import UnknownOperationException, ValidationException
from emulator.generators import MaskPromptError, generate
from emulator.hooks import Call, Hooks, SuccessBody
from validator import check_headers, messages, resolve_model_id, validate_body
from validator.report import BedrockError, RequestReport
from validator.types import InvokeRequest, ModelId, TaskType

bp = Blueprint("bedrock_runtime", __name__)
access_log = logging.getLogger("nova_canvas_emulator.access")

STATE_KEY = "nova_canvas_emulator"
OPERATIONS = ("invoke", "invoke-with-response-stream", "converse", "converse-stream")
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
CONTROL_PREFIX = "/_emulator/"
READ_CHUNK = 1 << 16
TRIM_AFTER_BYTES = 1 << 20
DRAIN_LIMIT = 1 << 20  # an unread body up to this size is read and dropped to keep the connection


@dataclass(frozen=True)
class CachedReport:
    """A validation report and the parsed body handed to `Hooks.after_parse` (None when parsing failed)."""

    report: RequestReport
    parsed: Mapping[str, object] | None
    body_size: int = 0


@dataclass(frozen=True)
class EmulatorState:
    """Per-app state, kept in `app.extensions` (never module-level)."""

    config: EmulatorConfig
    hooks: Hooks
    version: str
    responses: LRUCache[SuccessBody]
    reports: LRUCache[CachedReport]


def state() -> EmulatorState:
    """The current app's emulator state."""
    st: EmulatorState = current_app.extensions[STATE_KEY]
    return st


# --- routing (§2.2) ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """The operation named by the last path segment and the modelId before it, percent-decoded once."""

    operation: str | None
    model_id: str | None


def raw_request_path(environ: Mapping[str, Any]) -> tuple[str, bool]:
    """The request path as sent, and whether it is still percent-encoded.

    Servers that keep the raw target expose it as `RAW_URI` (gunicorn, werkzeug) or `REQUEST_URI` (uWSGI,
    werkzeug). Granian 2.8 gives only `PATH_INFO`, already decoded once (bytes as latin-1, PEP 3333), so there
    the modelId must not be decoded again (§2.2 rule 2: exactly once).
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw).split("?", 1)[0], True
    path = str(environ.get("PATH_INFO", ""))
    return path.encode("latin-1", "replace").decode("utf-8", "replace"), False


def parse_route(method: str, path: str, encoded: bool) -> Route:
    """§2.2 rules 1-4: POST `/model/{modelId}/{operation}`, greedy modelId, no trailing slash.

    An empty modelId (`/model//invoke`) is routed; resolution then rejects it (length 1-2048, §2.3).
    """
    if method != "POST" or not path.startswith("/model/"):
        return Route(None, None)
    model_part, sep, operation = path[len("/model/") :].rpartition("/")
    if not sep or operation not in OPERATIONS:
        return Route(None, None)
    return Route(operation, unquote(model_part, errors="replace") if encoded else model_part)


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Request headers, names lowercased (as in HTTP/2). An empty Content-Type is kept: it is not an absent
    one (§2.5.1), although werkzeug's `request.headers` drops it."""
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if key in environ:
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


@bp.before_app_request
def open_call() -> Response | None:
    """Start the `Call` for a Bedrock request (control API requests under `/_emulator/` get none).

    Requests werkzeug's rules cannot take are routed here instead of failing with werkzeug's 404/405 (a 500
    or an HTML page otherwise): a method outside `ALL_METHODS` (TRACE, PROPFIND, any token), or a path its
    converters refuse (`<path:>` does not match a decoded newline, `%0A`). §2.2 routes on the raw path, so a
    Bedrock path still runs `dispatch`; anything else under `/_emulator/` is an unknown operation too.
    """
    started = g.started = time.monotonic()
    req = request_ctx.request  # the request itself, not the proxy: read several times per request
    unrouted = isinstance(req.routing_exception, (NotFound, MethodNotAllowed))
    if req.path.startswith(CONTROL_PREFIX):
        if unrouted:
            raise UnknownOperationException()
        return None
    path, encoded = raw_request_path(req.environ)
    method = req.method
    route = parse_route(method, path, encoded)
    g.call = Call(
        request_id=str(uuid.uuid4()),
        method=method,
        raw_path=path,
        operation=route.operation,
        raw_model_id=route.model_id,
        headers=request_headers(req.environ),
        started=started,
    )
    g.encoded_path = encoded
    return dispatch("") if req.routing_exception is not None else None


@bp.after_app_request
def close_call(response: Response) -> Response:
    """Stamp §2.7/§2.8 headers, let the test double finalize (journal, connection faults), log one line."""
    call: Call | None = g.get("call")
    st = state()
    if not 200 <= response.status_code <= 599:
        # Granian panics on a status it cannot send and the whole server stops; no path should produce one
        # (every status comes from the catalogue or a fixed table), so this only guards against regressions.
        response = errors.InternalServerException().render()
    if request_ctx.request.environ.get("SERVER_PROTOCOL") == "HTTP/1.1":
        _connection_header(response, call)
    if call is not None:
        response.headers["x-amzn-RequestId"] = call.request_id
        if response.status_code == 200:
            elapsed_ms = int((time.monotonic() - call.started) * 1000)
            response.headers["X-Amzn-Bedrock-Invocation-Latency"] = str(elapsed_ms)
        response = st.hooks.finalize(call, response)
    if response.is_sequence:
        # A complete body (not a fault's generator): hand the WSGI server the list itself, so Granian sends
        # it in one piece instead of iterating a wrapper in Python (issue 3 speed target).
        response.direct_passthrough = True
    if st.config.access_log:
        _log_request(call, response)
    return response


def _connection_header(response: Response, call: Call | None) -> None:
    """§2.7's `Connection: keep-alive` (on Bedrock responses), only when the connection can carry another
    request. A client that sent `Connection: close` gets Granian's own `close`. A body left unread by an early
    error (unknown operation, strict auth, body size) would make Granian drop the connection after the
    response: one of up to `DRAIN_LIMIT` bytes is read and dropped, a larger one (or one of unknown length)
    gets `close`, so the client knows not to reuse it."""
    if "close" in request.headers.get("Connection", "").lower():
        return
    if not _body_consumed(call):
        response.headers["Connection"] = "close"
    elif call is not None:
        response.headers["Connection"] = "keep-alive"


def _body_consumed(call: Call | None) -> bool:
    """True when nothing of the request body is left to read (after draining a small one)."""
    length = request.content_length
    if (call is not None and call.body is not None) or length == 0:
        return True
    if length is None:  # chunked, or no body at all
        return "chunked" not in request.headers.get("Transfer-Encoding", "").lower()
    if length > DRAIN_LIMIT:
        return False
    try:
        while request.stream.read(READ_CHUNK):
            pass
    except (ClientDisconnected, OSError):
        return False
    return True


@bp.teardown_app_request
def release_memory(exc: BaseException | None) -> None:
    """After a large body, hand freed memory back to the OS.

    A request with a few MB of JSON can peak at hundreds of MB of Python objects (150,000 extraneous keys:
    the parsed body, one ContractError each, a 7 MB message). Once they are freed, glibc keeps most of
    those pages in its free lists, so the worker's RSS stays near the peak of the largest request seen
    (about +75 MB in-process for four such 2 MB bodies, while tracemalloc counts 6 MB live);
    `malloc_trim(0)` returns them (+35 MB). Only after large bodies: it walks the whole heap.
    """
    call: Call | None = g.pop("call", None)
    if call is not None and len(call.body or b"") >= TRIM_AFTER_BYTES:
        del call  # the last reference to the body, report and parsed body: freed before the trim
        trim_heap()


def trim_heap() -> None:
    """`malloc_trim(0)` where the C library has it (glibc); a no-op elsewhere."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


def _malloc_trim() -> Callable[[int], int] | None:
    try:
        trim: Callable[[int], int] = ctypes.CDLL(None).malloc_trim
    except (AttributeError, OSError):
        return None
    return trim


_MALLOC_TRIM = _malloc_trim()


def _log_request(call: Call | None, response: Response) -> None:
    error_type = response.headers.get("x-amzn-ErrorType", "-").split(":", 1)[0]
    elapsed_ms = (time.monotonic() - g.get("started", time.monotonic())) * 1000
    req = request_ctx.request
    access_log.info(
        '%s "%s %s %s" %d %s %.1fms %s',
        req.remote_addr or "-",
        req.method,
        call.raw_path if call is not None else req.path,
        req.environ.get("SERVER_PROTOCOL", "-"),
        response.status_code,
        error_type,
        elapsed_ms,
        call.request_id if call is not None else "-",
    )


@bp.route("/_emulator/health", methods=["GET"])
def health() -> Response:
    """Liveness and identity: the version and the models served."""
    st = state()
    body = {
        "status": "ok",
        "version": st.version,
        "models": [m.value for m in ModelId],
        "aliases": dict(st.config.model_aliases),
    }
    return Response(json.dumps(body, separators=(",", ":")), content_type="application/json")


@bp.route("/", defaults={"path": ""}, methods=ALL_METHODS)
@bp.route("/<path:path>", methods=ALL_METHODS)
def dispatch(path: str) -> Response:
    """Route on the raw path to the operation's view; anything else is Bedrock's unknown operation."""
    call: Call | None = g.get("call")
    try:
        if call is None or call.operation is None:
            raise UnknownOperationException()
        return VIEWS[call.operation](call, state())
    except Exception as exc:
        if call is not None:  # recorded for the journal; rendered by errors.handle_error
            known = exc if isinstance(exc, errors.BedrockException) else errors.InternalServerException()
            call.error = known.to_bedrock_error()
        raise


# --- the views ---------------------------------------------------------------------------------------------


def invoke_model(call: Call, st: EmulatorState) -> Response:
    """InvokeModel: §2.4 steps 2-13 in order."""
    body = _preamble(call, st)
    _inject_faults(call, st)
    error, warnings = check_headers(call.headers, strict_content_type=st.config.strict_content_type)
    call.warnings = warnings
    _raise_if(error)
    cached = _validate(call, st, body)
    if cached.parsed is not None:
        _raise_if(st.hooks.after_parse(call, cached.parsed))
    _raise_if(cached.report.error)
    req = cached.report.request
    assert req is not None  # a report without error always carries the typed request
    call.request = req
    _raise_if(st.hooks.moderate_input(call, req))
    blocked = st.hooks.blocked_images(call, req)
    payload = _generate(call, st, req, blocked, body_digest(body))
    return Response(payload, status=200, content_type="application/json")


def invoke_model_with_response_stream(call: Call, st: EmulatorState) -> Response:
    """Image models do not stream (§2.2): answered after model resolution, so bad ids still get theirs."""
    _preamble(call, st)
    raise ValidationException(messages.STREAMING_UNSUPPORTED)


def converse(call: Call, st: EmulatorState) -> Response:
    """Converse and ConverseStream: image models are not chat models (§2.2)."""
    _preamble(call, st)
    raise ValidationException(messages.CONVERSE_UNSUPPORTED)


VIEWS: dict[str, Callable[[Call, EmulatorState], Response]] = {
    "invoke": invoke_model,
    "invoke-with-response-stream": invoke_model_with_response_stream,
    "converse": converse,
    "converse-stream": converse,
}


# --- pipeline steps ----------------------------------------------------------------------------------------


def _raise_if(error: BedrockError | None) -> None:
    if error is not None:
        raise errors.from_bedrock_error(error)


def _preamble(call: Call, st: EmulatorState) -> bytes:
    """Steps 2-5, common to every operation: auth, body size, model id, lifecycle. Returns the body."""
    form = auth.parse_authorization(call.headers.get("authorization"))
    call.extra["auth"] = form.record()
    if st.config.strict_auth:
        auth.check_presented(form, st.config.access_keys, st.config.bearer_tokens)
    body = read_body(messages.MAX_BODY_BYTES)
    call.body = body
    if st.config.strict_auth and form.sigv4 is not None:
        # Part of step 2, but SigV4 signs the payload hash, so it can only run once the body is in.
        secret = st.config.access_keys[form.sigv4.access_key_id]
        auth.verify_signature(form.sigv4, secret, _signed(call, body))
    model = resolve_model_id(call.raw_model_id or "", st.config.model_aliases)
    if model is None:
        raise ValidationException(messages.INVALID_MODEL_ID)
    call.model = model
    _raise_if(st.hooks.lifecycle(call))
    return body


def _signed(call: Call, body: bytes) -> auth.SignedRequest:
    raw_uri = call.raw_path if g.get("encoded_path") else None
    return auth.SignedRequest(
        method=call.method,
        path_candidates=auth.path_candidates(raw_uri, call.raw_path),
        query=request.environ.get("QUERY_STRING", ""),
        headers=call.headers,
        body=body,
    )


def read_body(limit: int) -> bytes:
    """Step 3: refuse bodies over `limit` bytes from Content-Length, or while reading a body sent without one
    (chunked, HTTP/2 DATA), never holding more than `limit + 1` bytes.

    A body that ends before its Content-Length (the client closed early) is refused as malformed, never
    processed as if complete. Granian's `wsgi.input` just ends early (no exception); werkzeug's own servers
    raise `ClientDisconnected`. A chunked body cut off before its last chunk cannot be told apart: Granian
    2.8's `read(n)` ends the stream the same way as after a complete body (see docs/RELIABILITY.md).
    """
    req = request_ctx.request
    length = req.content_length
    if length is not None and length > limit:
        raise ValidationException(messages.BODY_TOO_LARGE)
    try:
        body = _read_stream(req.stream, length, limit)
    except ClientDisconnected:
        raise ValidationException(messages.MALFORMED) from None
    if length is not None and len(body) < length:
        raise ValidationException(messages.MALFORMED)
    return body


def _read_stream(stream: IO[bytes], length: int | None, limit: int) -> bytes:
    first = stream.read(length) if length is not None else b""  # the common case: one read
    if length is not None and len(first) >= length:
        return first
    chunks, total = [first], len(first)
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise ValidationException(messages.BODY_TOO_LARGE)


def _inject_faults(call: Call, st: EmulatorState) -> None:
    """The fault-injection point, after step 6 (§2.4, §8.6): the test double's rules and latency."""
    _raise_if(st.hooks.before_body(call))


def _validate(call: Call, st: EmulatorState, body: bytes) -> CachedReport:
    """Steps 9-11 through the validator; deterministic per model and raw body, so cached."""
    assert call.model is not None
    key = (call.model, body_digest(body))
    cached = st.reports.get(key)
    if cached is None:
        report = validate_body(body, call.model)
        parse_failed = report.error is not None and report.error.message == messages.MALFORMED
        cached = CachedReport(report, None if parse_failed else _parse_json(body), len(body))
        if report.valid:
            # Only valid reports are kept: an invalid body can carry hundreds of thousands of violations
            # (extraneous keys) whose errors and parsed body weigh far more than its bytes.
            st.reports.put(key, cached)
    call.report = cached.report
    call.warnings = call.warnings + cached.report.warnings
    call.parsed_body = cached.parsed
    call.task_type = _task_type(cached.parsed)
    return cached


def _parse_json(body: bytes) -> Mapping[str, object] | None:
    """The body for `Hooks.after_parse`; the validator accepted it, numbers with a fraction stay `Decimal`."""
    try:
        parsed = json.loads(body, parse_float=_json_number)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def _json_number(text: str) -> Decimal | float | str:
    """A number with a fraction or exponent as `Decimal`; one whose exponent is beyond Decimal's range
    (`1e-99999999999999999999`, InvalidOperation) as the float Java reads (0.0), or as its text when that
    is infinite (not JSON, and the validator has refused the body already)."""
    try:
        return Decimal(text)
    except ArithmeticError:
        value = float(text)
        return value if math.isfinite(value) else text


def _task_type(parsed: Mapping[str, object] | None) -> TaskType | None:
    value = parsed.get("taskType") if parsed is not None else None
    return TaskType(value) if isinstance(value, str) and value in _TASK_TYPES else None


_TASK_TYPES = frozenset(task.value for task in TaskType)


def _generate(
    call: Call, st: EmulatorState, req: InvokeRequest, blocked: frozenset[int], digest: bytes
) -> bytes:
    """Step 13: the response body, from the cache when this exact request was generated before.

    Hit or miss, `call.success` gets the body with its image spans, so the journal never re-parses it."""
    key = (req.model, digest, st.config.caption, blocked)
    wanted = range(req.config.number_of_images)
    call.images_blocked = sum(1 for i in wanted if i in blocked)
    call.images_returned = len(wanted) - call.images_blocked
    success = st.responses.get(key)
    call.cache_hit = success is not None
    if success is None:
        success = _render_success(req, blocked, st.config.caption)
        st.responses.put(key, success)
    call.success = success
    return success.body


def _render_success(req: InvokeRequest, blocked: frozenset[int], caption: bool) -> SuccessBody:
    """§2.7 body, compact, keys in order images, maskImage, error (§8.3 texts when images are blocked),
    with the byte span of each base64 image in it."""
    try:
        out = generate(req, skip=blocked, caption=caption)
    except MaskPromptError:
        raise ValidationException(messages.MASK_PROMPT_FAILED) from None
    body = _BodyWriter(b'{"images":[')
    images = tuple(body.string(base64.b64encode(png), b"," if n else b"") for n, png in enumerate(out.images))
    body.add(b"]")
    mask = body.string(base64.b64encode(out.mask), b',"maskImage":') if out.mask is not None else None
    if any(i in blocked for i in range(req.config.number_of_images)):
        text = messages.SOME_IMAGES_BLOCKED if out.images else messages.ALL_IMAGES_BLOCKED
        body.add(b',"error":' + json.dumps(text).encode())
    body.add(b"}")
    return SuccessBody(b"".join(body.parts), images, mask)


class _BodyWriter:
    """Pieces of a body being written, and the offset where the next one starts."""

    def __init__(self, first: bytes) -> None:
        self.parts = [first]
        self.size = len(first)

    def add(self, piece: bytes) -> None:
        self.parts.append(piece)
        self.size += len(piece)

    def string(self, ascii_text: bytes, before: bytes) -> tuple[int, int]:
        """Append `before` and a JSON string holding `ascii_text` (no escaping needed); the text's span."""
        self.add(before + b'"')
        start = self.size
        self.add(ascii_text)
        self.add(b'"')
        return start, start + len(ascii_text)
