"""The hook interface between the Bedrock pipeline (`emulator.pipeline`) and the test double.

`emulator.pipeline` runs InvokeModel step by step and calls a `Hooks` object at fixed points. The default,
`NoHooks`, changes nothing, so the pipeline is faithful to Bedrock out of the box;
`emulator.testdouble.testdouble_hooks` implements it to inject faults, latency and content filtering and to
keep the journal.

Order of calls for one request (each is skipped when an earlier step already failed); the steps are those of
docs/CONTRACT.md §2.4:

1. `lifecycle(call)`            after the model id resolved: a Legacy or end-of-life model
2. `before_body(call)`          fault injection: rules that do not look at the body, added latency
3. `after_parse(call, body)`    once the body parsed to a JSON object: rules that match on its content
4. `moderate_input(call, req)`  input moderation of the valid, typed request
5. `blocked_images(call, req)`  before generation: which image indices output moderation drops (a Stability
                                model returns one image: index 0)
6. `finalize(call, response)`   always, last: journal the call, apply connection-level faults

An error is returned as a `BedrockError` and answered exactly as given (name, status, message). Input
moderation of a Stability model may instead return a `FinishReason`: its answer is a 200 body saying so
(docs/CONTRACT.md §S5.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from flask import Response

from emulator.call import Call, FinishReason, TypedRequest
from validator.report import BedrockError


class Hooks(Protocol):
    """Extension points of the invoke pipeline. Every method must be safe to call concurrently."""

    def lifecycle(self, call: Call) -> BedrockError | None: ...

    def before_body(self, call: Call) -> BedrockError | None: ...

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None: ...

    def moderate_input(self, call: Call, request: TypedRequest) -> BedrockError | FinishReason | None: ...

    def blocked_images(self, call: Call, request: TypedRequest) -> frozenset[int]: ...

    def finalize(self, call: Call, response: Response) -> Response: ...


class NoHooks:
    """Hooks that change nothing: plain, faithful Bedrock behaviour (and no journal)."""

    def lifecycle(self, call: Call) -> BedrockError | None:
        return None

    def before_body(self, call: Call) -> BedrockError | None:
        return None

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None:
        return None

    def moderate_input(self, call: Call, request: TypedRequest) -> BedrockError | FinishReason | None:
        return None

    def blocked_images(self, call: Call, request: TypedRequest) -> frozenset[int]:
        return frozenset()

    def finalize(self, call: Call, response: Response) -> Response:
        return response
