"""Offline validator for Amazon Bedrock image-generation requests (Nova Canvas, Titan Image Generator and the
Stability AI models, docs/CONTRACT.md §S1-§S10).

Entry points: `validate_request` (the whole non-network part of InvokeModel, in Bedrock's order),
`validate_body`, `resolve_model_id`, `invocation_error`, `check_headers`, `iter_request_errors`,
`is_valid_request`, `validate_response` for success bodies, and `json_schema` (the draft 2020-12 export). The
contract itself is data in `validator.spec` (and `validator.stability.spec`). `validator.strategies`
(Hypothesis) is not imported here: import it explicitly.
"""

from validator.api import (
    check_headers,
    invocation_error,
    is_valid_request,
    iter_request_errors,
    resolve_model_id,
    validate_body,
    validate_request,
)
from validator.jsonschema_export import json_schema
from validator.report import BedrockError, ContractError, ContractWarning, RequestReport
from validator.response import ResponseReport, validate_response
from validator.stability.models import Operation, StabilityModel
from validator.stability.types import StabilityRequest
from validator.types import InvokeRequest, ModelId, ServedModel, TaskType

__all__ = [
    "BedrockError",
    "ContractError",
    "ContractWarning",
    "InvokeRequest",
    "ModelId",
    "Operation",
    "RequestReport",
    "ResponseReport",
    "ServedModel",
    "StabilityModel",
    "StabilityRequest",
    "TaskType",
    "check_headers",
    "invocation_error",
    "is_valid_request",
    "iter_request_errors",
    "json_schema",
    "resolve_model_id",
    "validate_body",
    "validate_request",
    "validate_response",
]
