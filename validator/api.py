"""Public entry points of the validator (docs/CONTRACT.md §2.4, §8.8).

`validate_request` runs, in the emulator's order, the steps that do not need a network: body size (step 3),
model id (4), Content-Type (7), Accept (8), JSON parse (9), schema (10) and semantic checks (11). It returns a
`RequestReport` whose `error` is exactly what Bedrock (and the emulator) would answer. `validate_body` runs
steps 9-11 for an already-resolved model. `is_valid_request` gives the same verdict without building the
report, the typed request or the warnings. None of them ever raises on bad input.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Final

from validator._build import build_request, plain_report
from validator._headers import check_headers
from validator._parse import parse_document
from validator._render import schema_message, semantic_message
from validator._resolve import SERVED_IDS, STABILITY_IDS, invocation_error, resolve_model_id
from validator._schema import check_schema
from validator._semantic import check_semantic
from validator._warnings import body_warnings
from validator.messages import BODY_TOO_LARGE, INVALID_MODEL_ID, MALFORMED, MAX_BODY_BYTES
from validator.report import ContractError, ContractWarning, RequestReport, rejected
from validator.spec import MODEL_SPECS, ModelSpec
from validator.stability.models import STABILITY_MODELS, Invocation, StabilityModel
from validator.stability.validate import validate_stability
from validator.types import ModelId, ServedModel

__all__ = [
    "check_headers",
    "invocation_error",
    "is_valid_request",
    "iter_request_errors",
    "resolve_model_id",
    "validate_body",
    "validate_request",
]

_DEFAULT_MODEL = ModelId.NOVA_CANVAS.value
#: Canonical model id string → its spec, for the common call's shortcut past id resolution.
_CANONICAL: Final[Mapping[str, ModelSpec]] = MappingProxyType({m.value: s for m, s in MODEL_SPECS.items()})
#: Canonical ids of the Stability models invocable on demand (docs/CONTRACT.md §S1.2): the same shortcut.
_ON_DEMAND_STABILITY: Final[Mapping[str, StabilityModel]] = MappingProxyType(
    {m.value: m for m, info in STABILITY_MODELS.items() if info.invocation is Invocation.ON_DEMAND}
)


def _spec(model: object) -> ModelSpec | None:
    served = SERVED_IDS.get(model) if isinstance(model, str) else None
    return MODEL_SPECS[served] if served is not None else None


def validate_body(body: bytes | str | object, model: ServedModel | str) -> RequestReport:
    """Steps 9-11 of docs/CONTRACT.md §2.4 for a resolved model: strict parse, schema (all violations),
    semantic checks; for a Stability AI model, steps 9-13 of docs/CONTRACT.md §S6.2."""
    stability = STABILITY_IDS.get(model) if isinstance(model, str) else None
    if stability is not None:
        return validate_stability(body, stability)
    spec = _spec(model)
    if spec is None:
        problem = ContractError("protocol", "", "modelId", "not a served model")
        return rejected(None, INVALID_MODEL_ID, (problem,))
    return _validate(body, spec)


def _validate_served(body: object, model: ServedModel) -> RequestReport:
    if isinstance(model, StabilityModel):
        return validate_stability(body, model)
    return _validate(body, MODEL_SPECS[model])


def _validate(body: object, spec: ModelSpec) -> RequestReport:
    doc, reason = parse_document(body)
    if doc is None:
        return rejected(spec.model, MALFORMED, (ContractError("schema", "#", "json", reason),))
    task, schema_errors, plain = check_schema(doc, spec)
    if plain:  # the compiled pass (validator._fast) vouches for every stage of a plain body
        assert task is not None
        return plain_report(doc, task, spec)
    if schema_errors or task is None:
        return rejected(spec.model, schema_message(schema_errors), tuple(schema_errors), document=doc)
    result = check_semantic(doc, task, spec)
    warnings = tuple(body_warnings(doc, task, spec, result.images))
    if result.errors:
        return rejected(spec.model, semantic_message(result.errors[0]), result.errors, warnings, doc)
    request = build_request(doc, task, spec, result.images)
    return RequestReport(
        model=spec.model, error=None, errors=(), warnings=warnings, request=request, document=doc
    )


def _body_size(body: object) -> int:
    """Size on the wire (docs/CONTRACT.md §2.6): bytes as given, str as UTF-8; a parsed object has none."""
    if isinstance(body, bytes | bytearray):
        return len(body)
    if isinstance(body, memoryview):
        return body.nbytes
    if isinstance(body, str):
        return len(body) if body.isascii() else len(body.encode("utf-8", "surrogatepass"))
    return 0


def _protocol(
    body: object,
    model_id: str,
    headers: Mapping[str, str] | None,
    strict_content_type: bool,
    aliases: Mapping[str, str] | None,
) -> tuple[ServedModel | None, RequestReport | None, tuple[ContractWarning, ...]]:
    """Steps 3, 4, 7 and 8: the resolved model, or the rejection; plus header warnings. Step 4 includes the
    on-demand check of profile-only models (docs/CONTRACT.md §S1.5, R8)."""
    if _body_size(body) > MAX_BODY_BYTES:
        problem = ContractError("protocol", "#", "SEM-BODY-SIZE", BODY_TOO_LARGE)
        return None, rejected(None, BODY_TOO_LARGE, (problem,)), ()
    model = resolve_model_id(model_id, aliases)
    if model is None:
        problem = ContractError("protocol", "", "modelId", INVALID_MODEL_ID)
        return None, rejected(None, INVALID_MODEL_ID, (problem,)), ()
    on_demand = invocation_error(model_id, model)
    if on_demand is not None:
        problem = ContractError("protocol", "", "modelId", on_demand.message)
        return model, rejected(model, on_demand.message, (problem,)), ()
    if headers is None:
        return model, None, ()
    error, warnings = check_headers(headers, strict_content_type=strict_content_type)
    if error is not None:
        problem = ContractError("protocol", "", "header", error.message)
        return model, rejected(model, error.message, (problem,), warnings), warnings
    return model, None, warnings


def validate_request(
    body: bytes | str | object,
    model_id: str = _DEFAULT_MODEL,
    *,
    headers: Mapping[str, str] | None = None,
    strict_content_type: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> RequestReport:
    """Validate one InvokeModel request; the report's `error` is what Bedrock would answer (checks in the
    order of docs/CONTRACT.md §2.4).

    `model_id` may use any docs/CONTRACT.md §2.3 form (already percent-decoded); `aliases` maps
    application-inference-profile ARNs (or their ids) to canonical ids. `body` may be bytes, str or an
    already-parsed dict. `headers`, when given, are checked (Content-Type, Accept); `strict_content_type`
    rejects `application/octet-stream`.
    """
    if headers is None and not aliases and type(body) is bytes and len(body) <= MAX_BODY_BYTES:
        # The common call: wire bytes, no headers, and a canonical id (any other id form, or aliases, which
        # may override even a canonical id, goes through `_protocol`).
        spec = _CANONICAL.get(model_id) if type(model_id) is str else None
        if spec is not None:
            return _validate(body, spec)
        on_demand = _ON_DEMAND_STABILITY.get(model_id) if type(model_id) is str else None
        if on_demand is not None:  # a Stability model invoked by its bare id, which R8 cannot concern
            return validate_stability(body, on_demand)
    model, rejection, header_warnings = _protocol(body, model_id, headers, strict_content_type, aliases)
    if rejection is not None or model is None:
        assert rejection is not None
        return rejection
    report = _validate_served(body, model)
    if not header_warnings:
        return report
    warnings = header_warnings + report.warnings
    return RequestReport(report.model, report.error, report.errors, warnings, report.request, report.document)


def iter_request_errors(
    body: bytes | str | object,
    model_id: str = _DEFAULT_MODEL,
    *,
    headers: Mapping[str, str] | None = None,
    strict_content_type: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> Iterator[ContractError]:
    """Every error `validate_request` finds; the first is the one Bedrock reports."""
    yield from validate_request(
        body, model_id, headers=headers, strict_content_type=strict_content_type, aliases=aliases
    ).errors


def is_valid_request(
    body: bytes | str | object,
    model_id: str = _DEFAULT_MODEL,
    *,
    headers: Mapping[str, str] | None = None,
    strict_content_type: bool = False,
    aliases: Mapping[str, str] | None = None,
) -> bool:
    """True when Bedrock would accept the request: `validate_request(...).valid`, computed more cheaply."""
    model, rejection, _ = _protocol(body, model_id, headers, strict_content_type, aliases)
    if rejection is not None or model is None:
        return False
    if isinstance(model, StabilityModel):
        return validate_stability(body, model).valid
    spec = MODEL_SPECS[model]
    doc, _ = parse_document(body)
    if doc is None:
        return False
    task, schema_errors, plain = check_schema(doc, spec)
    if plain:
        return True
    if schema_errors or task is None:
        return False
    return not check_semantic(doc, task, spec).errors
