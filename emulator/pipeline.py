"""The Bedrock Runtime operations, as named steps in the order Bedrock checks (docs/CONTRACT.md §2.4).

InvokeModel: `authenticate`, `read_body` (with the signature check that needs it), `resolve_model`,
`check_lifecycle`, `inject_faults`, `check_headers`, `validate` (the one JSON parse, through the validator),
`filter_on_body`, `moderate_input`, `generate`, then the 200 response. The streaming and Converse operations
run the steps up to `check_lifecycle` and answer their fixed error.

A step that ends the request raises `emulator.errors.BedrockException` with the `BedrockError` to answer;
`run` records it on the call and renders it. The test double's `Hooks` are called at fixed points
(`emulator.hooks`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Response
from werkzeug.wrappers import Request

from emulator import auth, wire
from emulator.cache import body_digest
from emulator.call import Call, SuccessBody
from emulator.errors import (
    BedrockException,
    UnknownOperationException,
    ValidationException,
    error_of,
    render_error,
)
from emulator.generators import MaskPromptError, generate
from emulator.state import CachedReport, EmulatorState
from validator import check_headers as check_request_headers, messages, resolve_model_id, validate_body
from validator.report import BedrockError, RequestReport
from validator.types import InvokeRequest, TaskType


def run(req: Request, call: Call, st: EmulatorState) -> Response:
    """The operation a routed call names; anything else is Bedrock's unknown operation. An error is
    recorded on the call (for the journal) and rendered."""
    try:
        if call.operation is None:
            raise UnknownOperationException()
        return OPERATIONS[call.operation](req, call, st)
    except Exception as exc:
        call.error = error_of(exc, call.method, call.raw_path)
        return render_error(call.error)


# --- the operations ----------------------------------------------------------------------------------------


def invoke_model(req: Request, call: Call, st: EmulatorState) -> Response:
    """InvokeModel."""
    body = common_steps(req, call, st)
    inject_faults(call, st)
    check_headers(call, st)
    digest = body_digest(body)
    report = validate(call, st, body, digest)
    filter_on_body(call, st)
    typed = valid_request(call, report)
    moderate_input(call, st, typed)
    success = generate_images(call, st, typed, digest)
    return Response(success.body, status=200, content_type="application/json")


def invoke_model_with_response_stream(req: Request, call: Call, st: EmulatorState) -> Response:
    """Image models do not stream: answered after model resolution, so bad ids still get theirs."""
    common_steps(req, call, st)
    raise ValidationException(messages.STREAMING_UNSUPPORTED)


def converse(req: Request, call: Call, st: EmulatorState) -> Response:
    """Converse and ConverseStream: image models are not chat models."""
    common_steps(req, call, st)
    raise ValidationException(messages.CONVERSE_UNSUPPORTED)


OPERATIONS: dict[str, Callable[[Request, Call, EmulatorState], Response]] = {
    "invoke": invoke_model,
    "invoke-with-response-stream": invoke_model_with_response_stream,
    "converse": converse,
    "converse-stream": converse,
}


# --- the steps ---------------------------------------------------------------------------------------------


def fail_if(error: BedrockError | None) -> None:
    """End the request with `error`, if there is one."""
    if error is not None:
        raise BedrockException(error)


def common_steps(req: Request, call: Call, st: EmulatorState) -> bytes:
    """The steps every operation runs: authenticate, read the body (and verify its signature), resolve the
    model, check its lifecycle. Returns the body."""
    form = authenticate(call, st)
    body = read_body(req, call, st, form)
    resolve_model(call, st)
    check_lifecycle(call, st)
    return body


def authenticate(call: Call, st: EmulatorState) -> auth.AuthForm:
    """Record the credentials' form; in strict mode, refuse missing or unknown ones as AWS does."""
    form = auth.parse_authorization(call.headers.get("authorization"))
    call.auth = form.record()
    if st.config.strict_auth:
        auth.check_presented(form, st.config.access_keys, st.config.bearer_tokens)
    return form


def read_body(req: Request, call: Call, st: EmulatorState, form: auth.AuthForm) -> bytes:
    """The body, bounded; in strict mode, the SigV4 signature is verified once it is in (it signs the
    payload hash, so this part of authentication has to wait for the body)."""
    body = wire.read_body(req, messages.MAX_BODY_BYTES)
    call.body = body
    if st.config.strict_auth and form.sigv4 is not None:
        secret = st.config.access_keys[form.sigv4.access_key_id]
        signed = auth.SignedRequest(
            method=call.method,
            path_candidates=auth.path_candidates(call.raw_path if call.encoded_path else None, call.raw_path),
            query=req.environ.get("QUERY_STRING", ""),
            headers=call.headers,
            body=body,
        )
        auth.verify_signature(form.sigv4, secret, signed)
    return body


def resolve_model(call: Call, st: EmulatorState) -> None:
    """The canonical model of the path's modelId (aliases and ARNs included), or the invalid-id 400."""
    model = resolve_model_id(call.raw_model_id or "", st.config.model_aliases)
    if model is None:
        raise ValidationException(messages.INVALID_MODEL_ID)
    call.model = model


def check_lifecycle(call: Call, st: EmulatorState) -> None:
    """The test double's simulated model lifecycle (Legacy and end-of-life models answer 404)."""
    fail_if(st.hooks.lifecycle(call))


def inject_faults(call: Call, st: EmulatorState) -> None:
    """The fault-injection point (docs/CONTRACT.md §8.6): the test double's rules and added latency."""
    fail_if(st.hooks.before_body(call))


def check_headers(call: Call, st: EmulatorState) -> None:
    """Content-Type and Accept (docs/CONTRACT.md §2.5)."""
    error, warnings = check_request_headers(call.headers, strict_content_type=st.config.strict_content_type)
    call.warnings = warnings
    fail_if(error)


def validate(call: Call, st: EmulatorState, body: bytes, digest: bytes) -> RequestReport:
    """Parse and validate the body through the validator, once: deterministic per model and raw body, so
    a valid body's report is cached (with the parsed document the hooks and the journal read)."""
    assert call.model is not None
    key = (call.model, digest)
    cached = st.reports.get(key)
    if cached is None:
        report = validate_body(body, call.model)
        if report.valid:
            # Only valid reports are kept: an invalid body can carry hundreds of thousands of violations
            # (extraneous keys) whose errors and parsed document weigh far more than its bytes.
            st.reports.put(key, CachedReport(report, len(body)))
    else:
        report = cached.report
    call.report = report
    call.warnings = call.warnings + report.warnings
    call.task_type = task_type(call.parsed_body)
    return report


def filter_on_body(call: Call, st: EmulatorState) -> None:
    """The test double's rules that match on the body's content, once it parsed to a JSON object."""
    document = call.parsed_body
    if document is not None:
        fail_if(st.hooks.after_parse(call, document))


def valid_request(call: Call, report: RequestReport) -> InvokeRequest:
    """The typed request of a valid body, or the validator's error."""
    fail_if(report.error)
    typed = report.request
    assert typed is not None  # a report without error always carries the typed request
    call.request = typed
    return typed


def moderate_input(call: Call, st: EmulatorState, request: InvokeRequest) -> None:
    """The test double's input moderation (blocked words and images, mask-prompt failures)."""
    fail_if(st.hooks.moderate_input(call, request))


def generate_images(call: Call, st: EmulatorState, request: InvokeRequest, digest: bytes) -> SuccessBody:
    """The 200 body, from the response cache when this exact request was generated before.

    Hit or miss, `call.success` gets the body with its image spans, so the journal never re-parses it."""
    blocked = st.hooks.blocked_images(call, request)
    key = (request.model, digest, st.config.caption, blocked)
    wanted = range(request.config.number_of_images)
    call.images_blocked = sum(1 for i in wanted if i in blocked)
    call.images_returned = len(wanted) - call.images_blocked
    success = st.responses.get(key)
    call.cache_hit = success is not None
    if success is None:
        success = render_success(request, blocked, st.config.caption)
        st.responses.put(key, success)
    call.success = success
    return success


def render_success(request: InvokeRequest, blocked: frozenset[int], caption: bool) -> SuccessBody:
    """Generate the images (all but the `blocked` indices) and write the 200 body; the error text of
    output moderation (docs/CONTRACT.md §8.3) when some are blocked."""
    try:
        out = generate(request, skip=blocked, caption=caption)
    except MaskPromptError:
        raise ValidationException(messages.MASK_PROMPT_FAILED) from None
    error = None
    if any(i in blocked for i in range(request.config.number_of_images)):
        error = messages.SOME_IMAGES_BLOCKED if out.images else messages.ALL_IMAGES_BLOCKED
    return wire.success_body(out.images, out.mask, error, out.previews)


def task_type(document: Mapping[str, object] | None) -> TaskType | None:
    """The body's taskType, when it names one."""
    value = document.get("taskType") if document is not None else None
    return TaskType(value) if isinstance(value, str) and value in _TASK_TYPES else None


_TASK_TYPES = frozenset(task.value for task in TaskType)
