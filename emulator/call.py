"""What one Bedrock request carries through the pipeline (`Call`), and a 200 body with its image spans.

`emulator.front` opens a `Call` when a request arrives, `emulator.pipeline` fills its fields in as steps
complete, the test double's hooks read them and record what they decided (`rules_fired`, `fault`), and the
journal entry is built from it once the response is on its way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from validator.report import BedrockError, ContractWarning, RequestReport
from validator.stability.models import STABILITY_MODELS, StabilityModel
from validator.stability.types import StabilityRequest
from validator.types import InvokeRequest, Pixels, ServedModel, TaskType

#: A valid request, typed: Nova/Titan's `InvokeRequest` or a Stability AI model's `StabilityRequest`.
TypedRequest: TypeAlias = InvokeRequest | StabilityRequest


def image_count(request: TypedRequest) -> int:
    """How many images the request asks for: `numberOfImages`, or one for a Stability model
    (docs/CONTRACT.md §S1.4)."""
    return 1 if isinstance(request, StabilityRequest) else request.config.number_of_images


class FinishReason(StrEnum):
    """A Stability model's non-null `finish_reasons` entry: a 200 without an image (docs/CONTRACT.md §S3.2,
    D-S6). SDXL says the same in its own words (`SDXL_FINISH`)."""

    PROMPT = "Filter reason: prompt"
    INPUT_IMAGE = "Filter reason: input image"
    OUTPUT_IMAGE = "Filter reason: output image"
    INFERENCE_ERROR = "Inference error"


#: The test double's fault (`Call.fault`) that makes a Stability model fail at generation; the pipeline
#: answers it with `FinishReason.INFERENCE_ERROR` (connection faults are applied by the test double itself).
INFERENCE_ERROR_FAULT = "inference_error"

#: SDXL's artifact `finishReason` for each outcome (docs/CONTRACT.md §S3.3, D-S7).
SDXL_SUCCESS = "SUCCESS"
SDXL_FINISH: Mapping[FinishReason, str] = {
    FinishReason.PROMPT: "CONTENT_FILTERED",
    FinishReason.INPUT_IMAGE: "CONTENT_FILTERED",
    FinishReason.OUTPUT_IMAGE: "CONTENT_FILTERED",
    FinishReason.INFERENCE_ERROR: "ERROR",
}


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
    # A Stability body's facts for the journal (docs/CONTRACT.md §S3): the seed reported and the finish
    # reason (None: a V2 success; SDXL's artifact `finishReason` otherwise).
    seed: int | None = None
    finish_reason: str | None = None

    def image_views(self) -> list[memoryview]:
        """The base64 images, in order, as zero-copy views of the body."""
        view = memoryview(self.body)
        return [view[start:end] for start, end in self.images]

    def mask_view(self) -> memoryview | None:
        """The base64 mask image as a zero-copy view of the body, or None."""
        return memoryview(self.body)[self.mask[0] : self.mask[1]] if self.mask is not None else None


@dataclass(eq=False)
class Call:
    """What is known about one HTTP request as it moves through the pipeline.

    The fields up to `encoded_path` are known when the request arrives; the pipeline sets the others as
    its steps complete (each stays at its default when an earlier step failed). `operation` is `invoke`,
    `invoke-with-response-stream`, `converse`, `converse-stream`, or None for unknown routes. Compared and
    hashed by identity: one object per request.
    """

    request_id: str
    method: str
    raw_path: str
    operation: str | None
    raw_model_id: str | None
    headers: Mapping[str, str]
    started: float  # time.monotonic() when the request arrived
    encoded_path: bool = False  # raw_path is still percent-encoded (the server kept the raw target)
    auth: Mapping[str, object] | None = None  # the form of credentials presented, never secrets
    body: bytes | None = None
    model: ServedModel | None = None
    report: RequestReport | None = None  # the validator's report on the body
    task_type: TaskType | None = None  # the body's taskType, when it names one
    warnings: tuple[ContractWarning, ...] = ()  # header and body warnings
    request: TypedRequest | None = None  # the typed request, once the body is valid
    error: BedrockError | None = None  # the error answered, if any
    images_returned: int = 0
    images_blocked: int = 0
    cache_hit: bool = False
    success: SuccessBody | None = None  # the 200 body and its image spans (cache hit or miss)
    rules_fired: list[int | None] = field(default_factory=list)  # test-double rules that fired, in order
    fault: str | None = None  # the connection fault a test-double rule chose, applied to the response
    finish_reason: FinishReason | None = None  # a Stability call's moderation or failure answer

    @property
    def task(self) -> str | None:
        """What the call asked for: Nova/Titan's taskType, or a Stability model's operation (from the typed
        request; for a body that failed validation, the model's only operation when it has one)."""
        if self.task_type is not None:
            return self.task_type.value
        if isinstance(self.request, StabilityRequest):
            return self.request.operation.value
        if isinstance(self.model, StabilityModel):
            operations = STABILITY_MODELS[self.model].operations
            return operations[0].value if len(operations) == 1 else None
        return None

    @property
    def parsed_body(self) -> Mapping[str, object] | None:
        """The body's top-level JSON object as the validator read it (`RequestReport.document`: integers as
        `int`, other numbers as `Decimal`); None when it did not parse to one."""
        return self.report.document if self.report is not None else None

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
