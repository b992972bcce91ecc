"""Steps 9-13 of docs/CONTRACT.md §S6.2 for a resolved Stability AI model, into a `RequestReport`.

The report's `error` is the one error Bedrock answers with: the plain Malformed text for a body that is not a
JSON object (as for Nova), R1 for the schema layer's missing `prompt`, everit details for SDXL, and the
container's `{"detail": ...}` JSON string for steps 11-13. `errors` lists everything the failing step found;
its first member is the one reported.
"""

from __future__ import annotations

from typing import Any

from validator._parse import parse_document
from validator._render import schema_message
from validator.messages import MALFORMED
from validator.report import ContractError, ContractWarning, RequestReport, rejected
from validator.stability.build import build_sdxl, build_v2
from validator.stability.checks import (
    cross_field_errors,
    field_errors,
    image_errors,
    operation_of,
    schema_prompt,
    sdxl_image,
    sdxl_schema,
    unknown_fields,
)
from validator.stability.messages import CONTAINER_CODES, container, text
from validator.stability.models import StabilityModel
from validator.stability.spec import SDXL_MODELS, STABILITY_SPECS
from validator.stability.warnings import stability_warnings


def _message(first: ContractError) -> str:
    """Bedrock's message for the failing step (its first error)."""
    if first.keyword in CONTAINER_CODES:
        return container(first.detail)
    assert first.stage == "schema"  # the only V2 schema-stage error is the missing prompt
    return text("R1")


def validate_stability(body: object, model: StabilityModel) -> RequestReport:
    """Validate one body for a Stability model; never raises on bad input."""
    doc, reason = parse_document(body)  # step 9, the main contract's strict parser
    if doc is None:
        return rejected(model, MALFORMED, (ContractError("schema", "#", "json", reason),))
    if model in SDXL_MODELS:
        return _sdxl(doc, model)
    spec = STABILITY_SPECS[model]
    for step in (schema_prompt, unknown_fields, field_errors, cross_field_errors):
        errors = step(doc, spec)
        if errors:
            return rejected(model, _message(errors[0]), tuple(errors), document=doc)
    errors, images = image_errors(doc, spec)
    if errors:
        return rejected(model, _message(errors[0]), tuple(errors), document=doc)
    request = build_v2(doc, spec, operation_of(doc, spec), images)
    warnings: tuple[ContractWarning, ...] = tuple(stability_warnings(doc, request))
    return RequestReport(model, None, (), warnings, request, doc)


def _sdxl(doc: dict[str, Any], model: StabilityModel) -> RequestReport:
    errors = sdxl_schema(doc)
    if errors:
        return rejected(model, schema_message(errors), tuple(errors), document=doc)
    errors, images = sdxl_image(doc)
    if errors:
        return rejected(model, container(errors[0].detail), tuple(errors), document=doc)
    request = build_sdxl(doc, model, images)
    return RequestReport(model, None, (), tuple(stability_warnings(doc, request)), request, doc)
