"""Results of validation: Bedrock's error, contract errors with JSON pointers, warnings.

`validate_request` returns a `RequestReport`. Its `error` is the one error Bedrock would answer with
(exception name, HTTP status, exact message); `errors` lists every violation found, each with the JSON
pointer of the offending value; `warnings` lists accepted-but-likely-mistaken inputs (CONTRACT.md §8.8);
`request` is the typed, defaulted request when the body is valid.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from validator.types import InvokeRequest, ModelId

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
    """An input Bedrock accepts but that is probably a mistake (CONTRACT.md §8.8)."""

    code: str
    pointer: str
    message: str


@dataclass(frozen=True)
class RequestReport:
    """The verdict on one request."""

    model: ModelId | None
    error: BedrockError | None
    errors: tuple[ContractError, ...]
    warnings: tuple[ContractWarning, ...]
    request: InvokeRequest | None
    #: The body's top-level JSON object exactly as the validator parsed it (integers as `int`, numbers with a
    #: fraction or exponent as `Decimal`), or None when the body did not parse to an object (or was never
    #: parsed: a protocol rejection). Callers use it instead of parsing the body a second time; treat it as
    #: read-only. It is input, not verdict: left out of equality, hashing and repr (it may hold megabytes).
    document: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    @property
    def valid(self) -> bool:
        """True when Bedrock would accept the request."""
        return self.error is None

    # A report made by `deferred_report` holds, instead of `request`, the call that builds it: the typed
    # request of a small valid body costs more to build than the whole validation, and many callers only
    # want the verdict. Reading `request` builds it once (attribute lookup falls back to `__getattr__` only
    # while `request` is absent from the instance); equality, hashing, repr, copies and pickles all read it
    # and so see the same value as for a report built eagerly.
    if not TYPE_CHECKING:  # keeps mypy checking attribute names on reports

        def __getattr__(self, name: str) -> Any:
            if name != "request":
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
            state = self.__dict__
            pending = state.get("_pending")
            if pending is None:  # another thread built it in between
                return state["request"]
            build, args = pending
            request = state.setdefault("request", build(*args))  # the first one built wins
            state.pop("_pending", None)
            return request

    def __getstate__(self) -> dict[str, Any]:
        """Copies and pickles carry the built request, never the pending call."""
        _ = self.request
        return {k: v for k, v in self.__dict__.items() if k != "_pending"}


def deferred_report(
    model: ModelId, build: Callable[..., InvokeRequest], args: tuple[Any, ...], document: dict[str, Any]
) -> RequestReport:
    """A valid report without errors or warnings whose `request` is `build(*args)`, called on first read."""
    report = object.__new__(RequestReport)
    state = report.__dict__  # item by item: the cheapest way to fill it (this runs once per small request)
    state["model"] = model
    state["error"] = None
    state["errors"] = ()
    state["warnings"] = ()
    state["document"] = document
    state["_pending"] = (build, args)
    return report
