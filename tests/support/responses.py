"""What responses must be: Bedrock's error shape (on a raw response or a Flask test response), the only
statuses a client may ever see, and successful answers checked against the validator's response contract.

The expected texts are written out here rather than imported from the code under test.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.test import TestResponse

from validator import validate_request
from validator.response import validate_response

ERROR_TYPE_SUFFIX = ":http://internal.amazon.com/coral/com.amazon.bedrock/"
UNKNOWN_OPERATION_TYPE = (
    "UnknownOperationException:http://internal.amazon.com/coral/com.amazon.coral.service/"
)
UNKNOWN_OPERATION_BODY = (
    b'{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"},"Version":"1.0"}'
)
MALFORMED = "Malformed input request, please reformat your input and try again."
BODY_TOO_LARGE = (
    "1 validation error detected: Value at 'body' failed to satisfy constraint: "
    "Member must have length less than or equal to 25000000"
)
MASK_PROMPT_FAILED = (
    "400 Bad Request: Unable to auto-generate mask image with given input image and mask prompt."
)
MAX_BODY = 25_000_000
# The exceptions of docs/CONTRACT.md §2.9 and strict authentication's three 403s, with their statuses:
# with the unknown-operation 404 of docs/CONTRACT.md §2.2, the only errors a client may ever see.
DOCUMENTED_ERRORS = {
    "ValidationException": 400,
    "AccessDeniedException": 403,
    "ResourceNotFoundException": 404,
    "ModelTimeoutException": 408,
    "ModelErrorException": 424,
    "ThrottlingException": 429,
    "ModelNotReadyException": 429,
    "ServiceQuotaExceededException": 400,
    "InternalServerException": 500,
    "ServiceUnavailableException": 503,
    "MissingAuthenticationTokenException": 403,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
}


def assert_bedrock_error(
    status: int, headers: Mapping[str, str], body: bytes, exception: str, message: str
) -> None:
    """The exact error of docs/CONTRACT.md §2.8: status, `x-amzn-ErrorType`, JSON content type, body
    `{"message": ...}`."""
    lower = {k.lower(): v for k, v in headers.items()}
    assert (status, lower.get("x-amzn-errortype")) == (
        DOCUMENTED_ERRORS[exception],
        exception + ERROR_TYPE_SUFFIX,
    ), body[:300]
    assert lower.get("content-type") == "application/json"
    assert json.loads(body) == {"message": message}
    assert body == json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False).encode()


def assert_error_response(response: TestResponse, name: str, status: int, message: str) -> None:
    """Status, x-amzn-ErrorType, content type, request id and the exact compact body of an error from a Flask
    test client (docs/CONTRACT.md §2.8)."""
    assert response.status_code == status
    assert response.headers["x-amzn-ErrorType"] == name + ERROR_TYPE_SUFFIX
    assert response.headers["Content-Type"] == "application/json"
    assert len(response.headers["x-amzn-RequestId"]) == 36
    expected = json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False)
    assert response.data == expected.encode()


def error_message(response: TestResponse) -> str:
    """The `message` of a JSON error body."""
    return str(json.loads(response.data)["message"])


def error_type(response: TestResponse) -> str:
    """The exception name from `x-amzn-ErrorType`."""
    return str(response.headers.get("x-amzn-ErrorType", "")).split(":", 1)[0]


def documented_problem(
    status: int, headers: Mapping[str, str], body: bytes, *, injected: bool = False
) -> str | None:
    """Why a response is outside the contract (None when it is a documented one).

    Documented: 200 with a JSON `images` list; an error of docs/CONTRACT.md §2.9 with its status,
    `x-amzn-ErrorType` and a body that is exactly `{"message": <str>}`; or the unknown-operation 404 of
    docs/CONTRACT.md §2.2. 5xx only when `injected`.
    """
    lower = {k.lower(): v for k, v in headers.items()}
    if lower.get("content-type") != "application/json":
        return f"content-type {lower.get('content-type')!r}"
    if body.lstrip()[:1] == b"<":
        return "HTML body"
    if status >= 500 and not injected:
        return f"status {status}"
    if status == 200:
        payload = json.loads(body)
        return None if isinstance(payload.get("images"), list) else "200 without images"
    error_type = lower.get("x-amzn-errortype", "")
    if status == 404 and error_type == UNKNOWN_OPERATION_TYPE:
        return None if body == UNKNOWN_OPERATION_BODY else "unknown-operation body"
    name, _, suffix = error_type.partition(":")
    if DOCUMENTED_ERRORS.get(name) != status or ":" + suffix != ERROR_TYPE_SUFFIX:
        return f"status {status} with x-amzn-ErrorType {error_type!r}"
    try:
        payload = json.loads(body)
    except ValueError:
        return "error body is not JSON"
    if not (
        isinstance(payload, dict) and list(payload) == ["message"] and isinstance(payload["message"], str)
    ):
        return f"error body {body[:200]!r}"
    return None


def check_success(model_id: str, request_body: bytes, response_body: bytes) -> dict[str, Any]:
    """Assert the response is what the contract promises for this request (validator.validate_response)."""
    report = validate_request(request_body, model_id)
    assert report.request is not None, report.error
    verdict = validate_response(response_body, report.request)
    assert verdict.valid, verdict
    parsed: dict[str, Any] = json.loads(response_body)
    return parsed


def message_for(body: Any, model: str = "amazon.nova-canvas-v1:0", **kwargs: Any) -> str:
    """The one error message Bedrock would return for `body`, as the validator words it (asserts the request
    is rejected with a ValidationException)."""
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    report = validate_request(raw, model, **kwargs)
    assert report.error is not None, "expected a rejection"
    assert (report.error.exception, report.error.status) == ("ValidationException", 400)
    return report.error.message
