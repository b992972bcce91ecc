"""The Bedrock error catalogue and the one handler that renders every error (CONTRACT.md §2.8, §2.9).

One tiny class per AWS error type, named after it (`error_type`; `status_code` from §2.9's table); views
raise them and `handle_error` renders them. Every error response carries
`x-amzn-ErrorType: <Name>:<coral namespace>` (botocore and the JS SDK take the error code from it; without it
boto3 raises a bare `ClientError` with code "400"), `Content-Type: application/json` and a compact body
`{"message":"..."}`. Anything unexpected becomes a JSON `InternalServerException` 500: an HTML 500 page is
retried by botocore and then fails to parse.
"""

from __future__ import annotations

import json
import logging
import re
from typing import ClassVar

from flask import Response, request
from werkzeug.exceptions import HTTPException

from validator import messages
from validator.report import BedrockError

logger = logging.getLogger("nova_canvas_emulator")

# Not in validator.messages because Bedrock never produces it; it is AWS's generic SigV4 text (JSON services,
# HTTP 403), used by strict auth when a signature does not verify (issue 3).
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


class BedrockException(Exception):
    """Base of the catalogue: an error Bedrock answers with `status_code`, `error_type` and `message`."""

    status_code: ClassVar[int] = 500
    error_type: ClassVar[str] = "InternalServerException"

    def __init_subclass__(cls, **kwargs: object) -> None:
        """A subclass is named after its AWS error type; a modelled one takes its status from §2.9's table."""
        super().__init_subclass__(**kwargs)
        cls.error_type = cls.__name__
        cls.status_code = messages.EXCEPTION_STATUS.get(cls.__name__, cls.status_code)

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message is not None else default_message(self.error_type)
        super().__init__(self.message)

    @property
    def status(self) -> int:
        """The HTTP status of this error (an instance may override the class's, see `from_bedrock_error`)."""
        return self.status_code

    @property
    def name(self) -> str:
        """The exception name sent in `x-amzn-ErrorType`."""
        return self.error_type

    def to_bedrock_error(self) -> BedrockError:
        """The validator's view of this error (recorded on the journal's `Call`)."""
        return BedrockError(exception=self.name, status=self.status, message=self.message)

    def render(self) -> Response:
        """The wire response of §2.8 (the request id is added for every response in `routes`)."""
        body = json.dumps({"message": self.message}, separators=(",", ":"), ensure_ascii=False)
        response = Response(encode_json_text(body), status=self.status, content_type="application/json")
        response.headers["x-amzn-ErrorType"] = self.name + messages.ERROR_TYPE_SUFFIX
        return response


# A message can echo a lone UTF-16 surrogate from the request (`"\ud800"` is valid JSON syntax, and the
# validator keeps it, as a Java String would), which UTF-8 cannot encode. Bedrock is Java; Jackson's
# UTF8JsonGenerator writes a surrogate char of a string value as a `\uXXXX` escape (upper-case hex), so we do
# the same: the reply stays valid UTF-8, and a client's JSON parser gives back the very string the validator
# produced. `?` (Java's String.getBytes) or U+FFFD would lose it; `surrogatepass` would send invalid UTF-8.
_SURROGATE = re.compile("[\ud800-\udfff]")


def encode_json_text(text: str) -> bytes:
    """JSON text as UTF-8, each lone surrogate as a `\\uXXXX` escape (it can only sit inside a string)."""
    try:
        return text.encode()
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04X}", text).encode()


def default_message(error_type: str) -> str:
    """The §7.2/§7.4 default text for an exception name (empty for names without one)."""
    return messages.DEFAULT_EXCEPTION_MESSAGE.get(error_type, "")


class ValidationException(BedrockException):
    """400: validation, model id, header, moderation and unsupported-operation errors."""


class AccessDeniedException(BedrockException):
    """403: injected, or strict auth with an unknown Bearer token."""


class ResourceNotFoundException(BedrockException):
    """404: model lifecycle (Legacy, EOL) or injected."""


class ModelTimeoutException(BedrockException):
    """408, injected; botocore does not retry it."""


class ModelErrorException(BedrockException):
    """424, injected."""


class ThrottlingException(BedrockException):
    """429, injected; retried by botocore in every mode."""


class ModelNotReadyException(BedrockException):
    """429, injected; modelled retryable."""


class ServiceQuotaExceededException(BedrockException):
    """400, injected."""


class InternalServerException(BedrockException):
    """500: injected, or anything unexpected (never an HTML page)."""


class ServiceUnavailableException(BedrockException):
    """503, injected; retried by botocore."""


# Strict authentication (§2.5.3): generic AWS errors, all 403.
class MissingAuthenticationTokenException(BedrockException):
    status_code = 403


class InvalidSignatureException(BedrockException):
    status_code = 403


class UnrecognizedClientException(BedrockException):
    status_code = 403


class UnknownOperationException(BedrockException):
    """404 for any path or method that is not a Bedrock Runtime operation (§2.2, D24); its body is special."""

    status_code = 404

    def render(self) -> Response:
        body = messages.UNKNOWN_OPERATION_BODY.encode()
        response = Response(body, status=404, content_type="application/json")
        response.headers["x-amzn-ErrorType"] = messages.UNKNOWN_OPERATION_ERROR_TYPE
        return response


CATALOGUE: dict[str, type[BedrockException]] = {
    cls.error_type: cls
    for cls in (
        ValidationException,
        AccessDeniedException,
        ResourceNotFoundException,
        ModelTimeoutException,
        ModelErrorException,
        ThrottlingException,
        ModelNotReadyException,
        ServiceQuotaExceededException,
        InternalServerException,
        ServiceUnavailableException,
        MissingAuthenticationTokenException,
        InvalidSignatureException,
        UnrecognizedClientException,
    )
}


class _UncataloguedException(BedrockException):
    """An error named by a hook that the catalogue does not know: keep its name and status as given."""

    def __init__(self, error: BedrockError) -> None:
        super().__init__(error.message)
        self._error = error

    @property
    def status(self) -> int:
        return self._error.status

    @property
    def name(self) -> str:
        return self._error.exception


def from_bedrock_error(error: BedrockError) -> BedrockException:
    """The catalogue exception for a `BedrockError` from the validator or a hook, with its exact message."""
    cls = CATALOGUE.get(error.exception)
    if cls is None or cls.status_code != error.status:
        return _UncataloguedException(error)
    return cls(error.message)


def handle_error(error: Exception) -> Response | HTTPException:
    """Flask's one error handler (the control API, health, the journal page): catalogue errors as §2.8,
    werkzeug's HTTP errors as the control API's JSON, anything unexpected as a JSON 500, never HTML."""
    if isinstance(error, HTTPException):
        return _control_http_error(error)
    return render_exception(error, request.method, request.path)


def render_exception(error: Exception, method: str, path: str) -> Response:
    """Catalogue errors as §2.8; anything else is logged and answered with the JSON 500."""
    if isinstance(error, BedrockException):
        return error.render()
    original = getattr(error, "original_exception", None) or error
    logger.error("unexpected error on %s %s", method, path, exc_info=original)
    return InternalServerException().render()


def _control_http_error(error: HTTPException) -> Response | HTTPException:
    """A werkzeug HTTP error under `/_emulator/` (a missing static file of the page, an unreadable body) as
    the control API's `{"message": ...}` JSON with the same status and headers, not werkzeug's HTML page.
    Errors that already carry a response (`abort(response)`) and redirects are sent as they are."""
    if error.response is not None or error.code is None or error.code < 400:
        return error
    message = error.description or error.name
    body = json.dumps({"message": message}, separators=(",", ":"))
    response = Response(body, status=error.code, content_type="application/json")
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response
