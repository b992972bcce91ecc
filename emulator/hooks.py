"""The seam between the Bedrock pipeline (emulator.routes) and the test-double features (emulator.testdouble).

The invoke view runs CONTRACT.md §2.4 step by step and calls a `Hooks` object at fixed points. The default,
`NoHooks`, changes nothing, so the pipeline is faithful to Bedrock out of the box; `emulator.testdouble`
provides the implementation that injects faults, latency and content filtering and keeps the journal.

Order of calls for one request (each may be skipped when an earlier step already failed):

1. `lifecycle(call)`            step 5, after the model id resolved
2. `before_body(call)`          after step 6: faults that do not look at the body, added latency
3. `after_parse(call, body)`    after step 9: faults that match on body content
4. `moderate_input(call, req)`  step 12
5. `blocked_images(call, req)`  step 13, before generation: which image indices output moderation drops
6. `finalize(call, response)`   always, last: journal the call, apply connection-level faults
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from flask import Response

from validator.report import BedrockError, ContractWarning, RequestReport
from validator.types import InvokeRequest, ModelId, Pixels, TaskType


@dataclass(frozen=True, eq=False)
class SuccessBody:
    """A 200 body as the pipeline produced it, and where its base64 images sit in it.

    `images` holds one `(start, end)` byte span per returned image, in order, and `mask` the span of
    `maskImage` (None without one): the slices `body[start:end]` are the base64 strings exactly as sent
    (ASCII, so bytes and characters coincide). Spans rather than copies, so a cached body costs its own
    bytes only, and a hook needs no JSON parsing to see the images. Compared and hashed by identity: the
    response cache hands out the same object for repeated requests, so a hook may remember what it derived.
    """

    body: bytes
    images: tuple[tuple[int, int], ...] = ()
    mask: tuple[int, int] | None = None
    previews: tuple[Pixels, ...] = ()  # small pixels of the images then the mask, for journal thumbnails

    def image_views(self) -> list[memoryview]:
        """The base64 images, in order, as zero-copy views of the body."""
        view = memoryview(self.body)
        return [view[start:end] for start, end in self.images]

    def mask_view(self) -> memoryview | None:
        """The base64 mask image as a zero-copy view of the body, or None."""
        return memoryview(self.body)[self.mask[0] : self.mask[1]] if self.mask is not None else None


@dataclass
class Call:
    """What is known about one HTTP request as it moves through the pipeline.

    The pipeline fills fields in as steps complete; hooks read them. `operation` is `invoke`,
    `invoke-with-response-stream`, `converse`, `converse-stream`, or `None` for unknown routes.
    """

    request_id: str
    method: str
    raw_path: str
    operation: str | None
    raw_model_id: str | None
    headers: Mapping[str, str]
    started: float  # time.monotonic() when the request arrived
    encoded_path: bool = False  # raw_path is still percent-encoded (the server kept the raw target)
    model: ModelId | None = None
    task_type: TaskType | None = None
    body: bytes | None = None
    parsed_body: Mapping[str, object] | None = None
    report: RequestReport | None = None
    request: InvokeRequest | None = None
    warnings: tuple[ContractWarning, ...] = ()
    error: BedrockError | None = None
    images_returned: int = 0
    images_blocked: int = 0
    cache_hit: bool = False
    success: SuccessBody | None = None  # the 200 body and its image spans, set by step 13 (hit or miss)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def invocation_id(self) -> str | None:
        """`amz-sdk-invocation-id`: shared by every attempt of one SDK call."""
        return self.headers.get("amz-sdk-invocation-id")

    @property
    def attempt(self) -> int | None:
        """The attempt number from `amz-sdk-request: attempt=N[; max=M]`, if sent."""
        raw = self.headers.get("amz-sdk-request", "")
        for part in raw.split(";"):
            name, _, value = part.strip().partition("=")
            # ASCII digits only: headers arrive as latin-1, and isdigit() takes '³' (0xB3), which int()
            # refuses; the length bound keeps int() under Python's digit limit (attempt numbers are small).
            if name == "attempt" and value.isascii() and value.isdecimal() and len(value) <= 18:
                return int(value)
        return None


class Hooks(Protocol):
    """Extension points of the invoke pipeline. Every method must be safe to call concurrently."""

    def lifecycle(self, call: Call) -> BedrockError | None: ...

    def before_body(self, call: Call) -> BedrockError | None: ...

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None: ...

    def moderate_input(self, call: Call, request: InvokeRequest) -> BedrockError | None: ...

    def blocked_images(self, call: Call, request: InvokeRequest) -> frozenset[int]: ...

    def finalize(self, call: Call, response: Response) -> Response: ...


class NoHooks:
    """Hooks that change nothing: plain, faithful Bedrock behaviour."""

    def lifecycle(self, call: Call) -> BedrockError | None:
        return None

    def before_body(self, call: Call) -> BedrockError | None:
        return None

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None:
        return None

    def moderate_input(self, call: Call, request: InvokeRequest) -> BedrockError | None:
        return None

    def blocked_images(self, call: Call, request: InvokeRequest) -> frozenset[int]:
        return frozenset()

    def finalize(self, call: Call, response: Response) -> Response:
        return response
