"""The Bedrock Runtime operations, as named steps in the order Bedrock checks (docs/CONTRACT.md §2.4).

InvokeModel: `authenticate`, `read_body` (with the signature check that needs it), `resolve_model`,
`check_lifecycle`, `inject_faults`, `check_headers`, `validate` (the one JSON parse, through the validator),
`filter_on_body`, `moderate_input`, `generate`, then the 200 response. The streaming and Converse operations
run the steps up to `check_lifecycle` and answer their fixed error.

A step that ends the request raises `emulator.errors.BedrockException` with the `BedrockError` to answer;
`run` records it on the call and renders it. The test double's `Hooks` are called at fixed points
(`emulator.hooks`).

The Stability AI models (docs/CONTRACT.md §S) take the same steps. Where they differ, the model or the typed
request decides: `resolve_model` also answers the on-demand error of a profile-only model (R8),
`check_lifecycle` the end of life of the historic ids (D-S1), and `generate_images` picks the generator and
the body writer by the typed request's type (`RENDERERS`); a Stability model's moderation answers are 200
bodies with a finish reason (docs/CONTRACT.md §S5.3).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask import Response
from werkzeug.wrappers import Request

from emulator import auth, wire
from emulator.cache import body_digest
from emulator.call import (
    INFERENCE_ERROR_FAULT,
    SDXL_FINISH,
    SDXL_SUCCESS,
    Call,
    FinishReason,
    SuccessBody,
    TypedRequest,
    image_count,
)
from emulator.errors import (
    BedrockException,
    UnknownOperationException,
    ValidationException,
    bedrock_error,
    error_of,
    render_error,
)
from emulator.generators import MaskPromptError, generate
from emulator.generators.stability import generate_stability
from emulator.state import CachedReport, EmulatorState
from validator import (
    check_headers as check_request_headers,
    invocation_error,
    messages,
    resolve_model_id,
    validate_body,
)
from validator.report import BedrockError, RequestReport
from validator.stability.models import STABILITY_MODELS, Family, StabilityModel
from validator.stability.types import StabilityRequest
from validator.types import InvokeRequest, ServedModel, TaskType


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
    """The canonical model of the path's modelId (aliases and ARNs included), or the invalid-id 400; a model
    reachable only through an inference profile, named by its bare id or foundation-model ARN, gets the
    on-demand 400 (docs/CONTRACT.md §S1.5, R8)."""
    raw = call.raw_model_id or ""
    model = resolve_model_id(raw, st.config.model_aliases)
    if model is None:
        raise ValidationException(messages.INVALID_MODEL_ID)
    call.model = model
    fail_if(invocation_error(raw, model))


def check_lifecycle(call: Call, st: EmulatorState) -> None:
    """A retired Stability id answers end of life unless historic models are on (docs/CONTRACT.md §S1.3,
    D-S1); then the test double's simulated lifecycle (Legacy and end-of-life models answer 404)."""
    assert call.model is not None
    fail_if(retired_error(call.model, st.config.historic_models))
    fail_if(st.hooks.lifecycle(call))


def retired_error(model: ServedModel, historic_models: bool) -> BedrockError | None:
    """The end-of-life 404 of a retired model: SDXL 0.8 always, the other historic ids unless served."""
    info = STABILITY_MODELS.get(model) if isinstance(model, StabilityModel) else None
    if info is None or not info.historic or (historic_models and not info.always_eol):
        return None
    return bedrock_error("ResourceNotFoundException", messages.LIFECYCLE_EOL)


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


def valid_request(call: Call, report: RequestReport) -> TypedRequest:
    """The typed request of a valid body, or the validator's error."""
    fail_if(report.error)
    typed = report.request
    assert typed is not None  # a report without error always carries the typed request
    call.request = typed
    return typed


def moderate_input(call: Call, st: EmulatorState, request: TypedRequest) -> None:
    """The test double's input moderation (blocked words and images, mask-prompt failures). A Stability
    model's verdict is a finish reason, answered as a 200 by `generate_images`; so is a simulated model
    failure (a fault rule's `inference_error`, which waits for the body to pass every check)."""
    verdict = st.hooks.moderate_input(call, request)
    if isinstance(verdict, FinishReason):
        call.finish_reason = verdict
    else:
        fail_if(verdict)
    failing = call.fault == INFERENCE_ERROR_FAULT and isinstance(request, StabilityRequest)
    if call.finish_reason is None and failing:
        call.finish_reason = FinishReason.INFERENCE_ERROR


def generate_images(call: Call, st: EmulatorState, request: TypedRequest, digest: bytes) -> SuccessBody:
    """The 200 body, from the response cache when this exact request was generated before.

    Hit or miss, `call.success` gets the body with its image spans, so the journal never re-parses it. A
    Stability model's finish reason (moderation, a simulated failure) is answered without generating."""
    if call.finish_reason is not None:
        success = render_finished(request, call.finish_reason, st.config.caption)
        failed = call.finish_reason is FinishReason.INFERENCE_ERROR
        blocked = frozenset() if failed else frozenset({0})  # a filter reason: the one image was blocked
    else:
        blocked = st.hooks.blocked_images(call, request)
        key = (request.model, digest, st.config.caption, blocked)
        cached = st.responses.get(key)
        call.cache_hit = cached is not None
        if cached is None:
            with st.generation.hold(output_pixels(request)):
                cached = RENDERERS[type(request)](request, blocked, st.config.caption)
            st.responses.put(key, cached)
        success = cached
        if isinstance(request, StabilityRequest) and 0 in blocked:
            call.finish_reason = FinishReason.OUTPUT_IMAGE
    call.images_blocked = sum(1 for i in range(image_count(request)) if i in blocked)
    call.images_returned = len(success.images)
    call.success = success
    return success


def output_pixels(request: TypedRequest) -> int:
    """The pixels a request's pictures hold (`emulator.gate`): every image, and the mask it returns."""
    size = request.output_size
    mask = 0 if isinstance(request, StabilityRequest) else int(request.returns_mask)
    images = image_count(request) + mask
    return size.width * size.height * images


def render_stability(request: StabilityRequest, blocked: frozenset[int], caption: bool) -> SuccessBody:
    """A Stability model's 200 body; an output blocked by moderation is V2's `Filter reason: output image`
    or SDXL's `CONTENT_FILTERED` with the picture blurred (docs/CONTRACT.md §S5.3)."""
    if 0 in blocked:
        return render_finished(request, FinishReason.OUTPUT_IMAGE, caption)
    out = generate_stability(request, caption=caption)
    if STABILITY_MODELS[request.model].family is Family.V1:
        return wire.sdxl_body(request.seed, out.image, SDXL_SUCCESS, out.preview)
    return wire.stability_v2_body(request.seed, out.image, None, out.preview)


def render_finished(request: TypedRequest, reason: FinishReason, caption: bool) -> SuccessBody:
    """A Stability model's 200 without its picture: V2's `{"finish_reasons":["<reason>"]}`; SDXL's artifact
    with `CONTENT_FILTERED` and the picture blurred, or `ERROR` and no picture (docs/CONTRACT.md §S3.3)."""
    assert isinstance(request, StabilityRequest)
    if STABILITY_MODELS[request.model].family is Family.V2:
        return wire.stability_v2_body(request.seed, None, reason)
    finish = SDXL_FINISH[reason]
    if reason is FinishReason.INFERENCE_ERROR:
        return wire.sdxl_body(request.seed, b"", finish)
    out = generate_stability(request, caption=caption, blur=True)
    return wire.sdxl_body(request.seed, out.image, finish, out.preview)


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


#: The body writer (and generator) of each kind of typed request.
RENDERERS: dict[type, Callable[[Any, frozenset[int], bool], SuccessBody]] = {
    InvokeRequest: render_success,
    StabilityRequest: render_stability,
}


def task_type(document: Mapping[str, object] | None) -> TaskType | None:
    """The body's taskType, when it names one."""
    value = document.get("taskType") if document is not None else None
    return TaskType(value) if isinstance(value, str) and value in _TASK_TYPES else None


_TASK_TYPES = frozenset(task.value for task in TaskType)
