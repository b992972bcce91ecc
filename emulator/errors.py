"""Bedrock errors: the one error value, the exception that carries it, and the one renderer.

An error is the validator's `BedrockError` (exception name, HTTP status, exact message) from wherever it is
made (the validator's report, a test-double hook, strict authentication, a pipeline step) to the response:
it is never converted. A step that ends the request raises `BedrockException(error)`, a carrier for the
value; `emulator.pipeline` records `exc.error` on the call (for the journal) and `render_error` writes it.

Every error response carries `x-amzn-ErrorType: <Name>:<coral namespace>` (botocore and the JS SDK take the
error code from it; without it boto3 raises a bare `ClientError` with code "400"), `Content-Type:
application/json` and a compact body `{"message":"..."}` (docs/CONTRACT.md §2.8). Anything unexpected
becomes a JSON `InternalServerException` 500: an HTML 500 page is retried by botocore and then fails to
parse. The request id is added to every Bedrock response by `emulator.front`.
"""

from __future__ import annotations

import json
import re

from flask import Response, request
from werkzeug.exceptions import HTTPException

from emulator.logs import logger, printable
from validator import messages
from validator.report import BedrockError

UNKNOWN_OPERATION = "UnknownOperationException"
INTERNAL = "InternalServerException"

# The HTTP status of every error the emulator answers with: Bedrock's modelled exceptions, and the generic
# AWS errors of strict authentication (all 403) and of an unknown operation (404, with a body of its own).
STATUS: dict[str, int] = {
    **messages.EXCEPTION_STATUS,
    "MissingAuthenticationTokenException": 403,
    "InvalidSignatureException": 403,
    "UnrecognizedClientException": 403,
    UNKNOWN_OPERATION: 404,
}

# Not in validator.messages because Bedrock never produces it; it is AWS's generic SigV4 text (JSON services,
# HTTP 403), used by strict auth when a signature does not verify.
SIGNATURE_MISMATCH = (
    "The request signature we calculated does not match the signature you provided. Check your AWS Secret "
    "Access Key and signing method. Consult the service documentation for details."
)


def bedrock_error(name: str, message: str | None = None) -> BedrockError:
    """The error `name` with its status; `message` defaults to Bedrock's text for it (empty if none)."""
    text = message if message is not None else messages.DEFAULT_EXCEPTION_MESSAGE.get(name, "")
    return BedrockError(exception=name, status=STATUS[name], message=text)


class BedrockException(Exception):
    """Ends a Bedrock request with `error`, exactly as given (a hook's error keeps its name and status)."""

    def __init__(self, error: BedrockError) -> None:
        super().__init__(error.message)
        self.error = error

    @property
    def message(self) -> str:
        """The error's message text."""
        return self.error.message


class _NamedException(BedrockException):
    """A `BedrockException` named after its AWS error type, for raising one by name."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__(bedrock_error(type(self).__name__, message))


class ValidationException(_NamedException):
    """400: validation, model id, header, moderation and unsupported-operation errors."""


class AccessDeniedException(_NamedException):
    """403: strict auth with an unknown Bearer token."""


class MissingAuthenticationTokenException(_NamedException):
    """403: strict auth without credentials."""


class InvalidSignatureException(_NamedException):
    """403: strict auth with a wrong service scope or a signature that does not verify."""


class UnrecognizedClientException(_NamedException):
    """403: strict auth with an unknown access key id."""


class UnknownOperationException(_NamedException):
    """404 for any path or method that is not a Bedrock Runtime operation (docs/CONTRACT.md §2.2)."""


class InternalServerException(_NamedException):
    """500: anything unexpected (never an HTML page)."""


def render_error(error: BedrockError) -> Response:
    """The wire response of an error (docs/CONTRACT.md §2.8); the unknown operation has its own body."""
    if error.exception == UNKNOWN_OPERATION:
        body = messages.UNKNOWN_OPERATION_BODY.encode()
        error_type = messages.UNKNOWN_OPERATION_ERROR_TYPE
    else:
        text = json.dumps({"message": error.message}, separators=(",", ":"), ensure_ascii=False)
        body = encode_json_text(text)
        error_type = error.exception + messages.ERROR_TYPE_SUFFIX
    response = Response(body, status=error.status, content_type="application/json")
    response.headers["x-amzn-ErrorType"] = error_type
    return response


def error_of(exc: Exception, method: str, path: str) -> BedrockError:
    """The error an exception answers with: its own for a `BedrockException`, else the 500 (logged)."""
    if isinstance(exc, BedrockException):
        return exc.error
    original = getattr(exc, "original_exception", None) or exc
    logger.error("unexpected error on %s %s", printable(method), printable(path), exc_info=original)
    return bedrock_error(INTERNAL)


def render_exception(exc: Exception, method: str, path: str) -> Response:
    """`render_error` of `error_of(exc)`."""
    return render_error(error_of(exc, method, path))


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


def handle_error(error: Exception) -> Response | HTTPException:
    """Flask's one error handler (the control API, health, the journal page): Bedrock errors as
    docs/CONTRACT.md §2.8, werkzeug's HTTP errors as the control API's JSON, anything unexpected as a JSON
    500, never HTML."""
    if isinstance(error, HTTPException):
        return _control_http_error(error)
    return render_exception(error, request.method, request.path)


def _control_http_error(error: HTTPException) -> Response | HTTPException:
    """A werkzeug HTTP error under `/_emulator/` (a missing static file of the page, an unreadable body) as
    the control API's `{"message": ...}` JSON with the same status and headers, never werkzeug's HTML page
    and never a redirect (werkzeug's 308 to a canonical URL builds its `Location` from the `Host` header).
    Errors that already carry a response (`abort(response)`) are sent as they are."""
    if error.response is not None:
        return error
    if error.code is None or error.code < 400:
        return render_control_error(404, "Not Found")
    message = error.description or error.name
    response = render_control_error(error.code, message)
    for name, value in error.get_headers():
        if name.lower() not in ("content-type", "location"):
            response.headers[name] = value
    return response


def render_control_error(status: int, message: str) -> Response:
    """The control API's error shape: `{"message": ...}` with `status`."""
    body = json.dumps({"message": message}, separators=(",", ":"))
    return Response(body, status=status, content_type="application/json")
