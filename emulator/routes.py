"""Bedrock Runtime routes: raw-path routing (CONTRACT.md §2.2) and one thin view per operation (§2.4).

`emulator.front` hands every request outside `/_emulator/` to `dispatch` with its `Call`: the raw path
picks one of four operation views through the `VIEWS` table, and the view runs §2.4 step by step, calling
the test double's `Hooks` at fixed points. Errors are raised as `emulator.errors` exceptions and rendered by
`errors.render_exception`. The Flask blueprint here serves only the health check, and turns unroutable
requests under `/_emulator/` into Bedrock's unknown operation.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import IO, Any
from urllib.parse import unquote

import pybase64
from flask import Blueprint, Response, current_app, request
from werkzeug.exceptions import ClientDisconnected, MethodNotAllowed, NotFound
from werkzeug.wrappers import Request

from emulator import auth, errors
from emulator.after_response import AfterResponse
from emulator.cache import LRUCache, body_digest
from emulator.config import EmulatorConfig
from emulator.errors import UnknownOperationException, ValidationException
from emulator.generators import MaskPromptError, generate
from emulator.hooks import Call, Hooks, SuccessBody
from validator import check_headers, messages, resolve_model_id, validate_body
from validator.report import BedrockError, RequestReport
from validator.types import InvokeRequest, ModelId, TaskType

bp = Blueprint("bedrock_runtime", __name__)

STATE_KEY = "nova_canvas_emulator"
OPERATIONS = ("invoke", "invoke-with-response-stream", "converse", "converse-stream")
CONTROL_PREFIX = "/_emulator/"
READ_CHUNK = 1 << 16


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
    after: AfterResponse  # the journal and the access log, written once the response is on its way
    responses: LRUCache[SuccessBody]
    reports: LRUCache[CachedReport]


def state() -> EmulatorState:
    """The current app's emulator state (in a Flask request)."""
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


@bp.before_app_request
def refuse_unrouted() -> None:
    """Control-side requests werkzeug's rules cannot take (an unlisted method: TRACE, PROPFIND, any token;
    a path its converters refuse) are Bedrock's unknown operation, not werkzeug's HTML 404/405.
    Bedrock paths never reach Flask (`emulator.front`)."""
    if isinstance(request.routing_exception, (NotFound, MethodNotAllowed)):
        raise UnknownOperationException()


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


def dispatch(req: Request, call: Call, st: EmulatorState) -> Response:
    """The operation's view for a routed call; anything else is Bedrock's unknown operation. An error is
    recorded on the call (for the journal) and rendered as §2.8."""
    try:
        if call.operation is None:
            raise UnknownOperationException()
        return VIEWS[call.operation](req, call, st)
    except Exception as exc:
        known = exc if isinstance(exc, errors.BedrockException) else errors.InternalServerException()
        call.error = known.to_bedrock_error()
        return errors.render_exception(exc, call.method, call.raw_path)


# --- the views ---------------------------------------------------------------------------------------------


def invoke_model(req: Request, call: Call, st: EmulatorState) -> Response:
    """InvokeModel: §2.4 steps 2-13 in order."""
    body = _preamble(req, call, st)
    _inject_faults(call, st)
    error, warnings = check_headers(call.headers, strict_content_type=st.config.strict_content_type)
    call.warnings = warnings
    _raise_if(error)
    cached = _validate(call, st, body)
    if cached.parsed is not None:
        _raise_if(st.hooks.after_parse(call, cached.parsed))
    _raise_if(cached.report.error)
    typed = cached.report.request
    assert typed is not None  # a report without error always carries the typed request
    call.request = typed
    _raise_if(st.hooks.moderate_input(call, typed))
    blocked = st.hooks.blocked_images(call, typed)
    payload = _generate(call, st, typed, blocked, body_digest(body))
    return Response(payload, status=200, content_type="application/json")


def invoke_model_with_response_stream(req: Request, call: Call, st: EmulatorState) -> Response:
    """Image models do not stream (§2.2): answered after model resolution, so bad ids still get theirs."""
    _preamble(req, call, st)
    raise ValidationException(messages.STREAMING_UNSUPPORTED)


def converse(req: Request, call: Call, st: EmulatorState) -> Response:
    """Converse and ConverseStream: image models are not chat models (§2.2)."""
    _preamble(req, call, st)
    raise ValidationException(messages.CONVERSE_UNSUPPORTED)


VIEWS: dict[str, Callable[[Request, Call, EmulatorState], Response]] = {
    "invoke": invoke_model,
    "invoke-with-response-stream": invoke_model_with_response_stream,
    "converse": converse,
    "converse-stream": converse,
}


# --- pipeline steps ----------------------------------------------------------------------------------------


def _raise_if(error: BedrockError | None) -> None:
    if error is not None:
        raise errors.from_bedrock_error(error)


def _preamble(req: Request, call: Call, st: EmulatorState) -> bytes:
    """Steps 2-5, common to every operation: auth, body size, model id, lifecycle. Returns the body."""
    form = auth.parse_authorization(call.headers.get("authorization"))
    call.extra["auth"] = form.record()
    if st.config.strict_auth:
        auth.check_presented(form, st.config.access_keys, st.config.bearer_tokens)
    body = read_body(req, messages.MAX_BODY_BYTES)
    call.body = body
    if st.config.strict_auth and form.sigv4 is not None:
        # Part of step 2, but SigV4 signs the payload hash, so it can only run once the body is in.
        secret = st.config.access_keys[form.sigv4.access_key_id]
        auth.verify_signature(form.sigv4, secret, _signed(req, call, body))
    model = resolve_model_id(call.raw_model_id or "", st.config.model_aliases)
    if model is None:
        raise ValidationException(messages.INVALID_MODEL_ID)
    call.model = model
    _raise_if(st.hooks.lifecycle(call))
    return body


def _signed(req: Request, call: Call, body: bytes) -> auth.SignedRequest:
    raw_uri = call.raw_path if call.encoded_path else None
    return auth.SignedRequest(
        method=call.method,
        path_candidates=auth.path_candidates(raw_uri, call.raw_path),
        query=req.environ.get("QUERY_STRING", ""),
        headers=call.headers,
        body=body,
    )


def read_body(req: Request, limit: int) -> bytes:
    """Step 3: refuse bodies over `limit` bytes from Content-Length, or while reading a body sent without one
    (chunked, HTTP/2 DATA), never holding more than `limit + 1` bytes.

    A body that ends before its Content-Length (the client closed early) is refused as malformed, never
    processed as if complete. Granian's `wsgi.input` just ends early (no exception); werkzeug's own servers
    raise `ClientDisconnected`. A chunked body cut off before its last chunk cannot be told apart: Granian
    2.8's `read(n)` ends the stream the same way as after a complete body (see docs/RELIABILITY.md).
    """
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
    images = tuple(
        body.string(pybase64.b64encode(png), b"," if n else b"") for n, png in enumerate(out.images)
    )
    body.add(b"]")
    mask = body.string(pybase64.b64encode(out.mask), b',"maskImage":') if out.mask is not None else None
    if any(i in blocked for i in range(req.config.number_of_images)):
        text = messages.SOME_IMAGES_BLOCKED if out.images else messages.ALL_IMAGES_BLOCKED
        body.add(b',"error":' + json.dumps(text).encode())
    body.add(b"}")
    return SuccessBody(b"".join(body.parts), images, mask, out.previews)


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
