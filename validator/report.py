"""Results of validation: Bedrock's error, contract errors with JSON pointers, warnings.

`validate_request` returns a `RequestReport`. Its `error` is the one error Bedrock would answer with
(exception name, HTTP status, exact message); `errors` lists every violation found, each with the JSON
pointer of the offending value; `warnings` lists accepted-but-likely-mistaken inputs (docs/CONTRACT.md §8.8);
`request` is the typed, defaulted request when the body is valid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from validator.stability.types import StabilityRequest
from validator.types import InvokeRequest, ServedModel

Stage = Literal["protocol", "schema", "semantic", "response"]


@dataclass(frozen=True)
class BedrockError:
    """An error exactly as Bedrock answers it: `x-amzn-ErrorType` name, HTTP status, `message` text."""

    exception: str
    status: int
    message: str


@dataclass(frozen=True)
class ContractError:
    """One violation. `pointer` uses Bedrock's form (`#/imageGenerationConfig/width`).

    `keyword` is the schema keyword (`required`, `maximum`, ...) or the semantic rule id (`SEM-SIZE-STEP`);
    `detail` is the text after `<pointer>: ` in Bedrock's message.
    """

    stage: Stage
    pointer: str
    keyword: str
    detail: str

    @property
    def text(self) -> str:
        """`<pointer>: <detail>`, as it appears inside Bedrock's message."""
        return f"{self.pointer}: {self.detail}"


@dataclass(frozen=True)
class ContractWarning:
    """An input Bedrock accepts but that is probably a mistake (docs/CONTRACT.md §8.8)."""

    code: str
    pointer: str
    message: str


@dataclass(frozen=True)
class RequestReport:
    """The verdict on one request."""

    model: ServedModel | None
    error: BedrockError | None
    errors: tuple[ContractError, ...]
    warnings: tuple[ContractWarning, ...]
    request: InvokeRequest | StabilityRequest | None
    #: The body's top-level JSON object exactly as the validator parsed it (integers as `int`, numbers with a
    #: fraction or exponent as `Decimal`), or None when the body did not parse to an object (or was never
    #: parsed: a protocol rejection). Callers use it instead of parsing the body a second time; treat it as
    #: read-only. It is input, not verdict: left out of equality, hashing and repr (it may hold megabytes).
    document: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        """True when Bedrock would accept the request."""
        return self.error is None


def rejected(
    model: ServedModel | None,
    message: str,
    errors: tuple[ContractError, ...],
    warnings: tuple[ContractWarning, ...] = (),
    document: dict[str, Any] | None = None,
) -> RequestReport:
    """The report of a request Bedrock refuses with 400 ValidationException `message`."""
    error = BedrockError(exception="ValidationException", status=400, message=message)
    return RequestReport(
        model=model, error=error, errors=errors, warnings=warnings, request=None, document=document
    )
