"""Content-filter simulation: input moderation (docs/CONTRACT.md §8.4) and output moderation (docs/CONTRACT.md
§8.3).

Input moderation fails the whole request with a ValidationException carrying Bedrock's real texts
(docs/CONTRACT.md §7.2): Nova's or Titan's text-prompt text for a blocked word in `text` or `negativeText`
(whole word, any case), the input-image text for a blocked input image (by the sha256 of its base64 string as
sent, or because its decoded bytes contain a marker), and the mask-prompt failure text when a `maskPrompt`
contains a trigger word.

Output moderation never raises: it names the image indices to drop, and the pipeline renders `error` from
that set. Which indices are dropped is deterministic per canonical request and index.

The Stability AI models answer with their own texts, never Nova's or Titan's (docs/CONTRACT.md §S5.3): a
blocked word in any prompt-like field (`prompt`, `negative_prompt`, `search_prompt`, `select_prompt`,
SDXL's `text_prompts`) or a blocked input image (`image`, `mask`, `init_image`, `style_image`) is a 200 with
the finish reason `Filter reason: prompt` / `Filter reason: input image`, except that SDXL refuses blocked
words with a 400 `invalid_prompts`; output moderation blocks index 0, the model's one image.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

from emulator.call import FinishReason, TypedRequest, image_count
from validator import messages
from validator.report import BedrockError
from validator.stability.messages import text as stability_text
from validator.stability.models import STABILITY_MODELS, Family
from validator.stability.types import StabilityImage, StabilityRequest
from validator.types import InputImage, InvokeRequest

#: SDXL's answer to a filtered prompt (docs/CONTRACT.md §S3.3, R6).
SDXL_INVALID_PROMPTS = stability_text("R6")

OUTPUT_MODES = ("none", "all", "indices", "probability")


@dataclass(frozen=True)
class OutputBlock:
    """Which generated images output moderation drops.

    `mode`: `none`, `all`, `indices` (the listed indices), or `probability` (each index independently,
    decided by a hash of the seed, the canonical request and the index). With `words` set, only requests
    whose `text` or `negativeText` contains one of them (whole word, any case) are affected.
    """

    mode: str = field(
        default="none",
        metadata={
            "doc": "Output moderation: `none`, `all`, `indices` or `probability`. Blocked images are dropped "
            "and the 200 body carries `error` (a Stability model: `Filter reason: output image`)."
        },
    )
    indices: tuple[int, ...] = field(
        default=(), metadata={"doc": "With `indices`: the image indices to drop."}
    )
    probability: float = field(
        default=0.0,
        metadata={
            "doc": "With `probability`: the chance each image is dropped (decided by `seed`, the request and "
            "the index)."
        },
    )
    words: tuple[str, ...] = field(
        default=(), metadata={"doc": "Only block output for prompts containing one of these words."}
    )

    def to_json(self) -> dict[str, object]:
        """The control API's view."""
        return {
            "mode": self.mode,
            "indices": list(self.indices),
            "probability": self.probability,
            "words": list(self.words),
        }


@dataclass(frozen=True)
class ContentFilters:
    """Content-filter triggers; all empty by default, so nothing is moderated (docs/CONTRACT.md §8.4)."""

    blocked_words: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "Input moderation: words in `text` or `negativeText`, or in a Stability model's prompts "
            "(whole word, any case), that get Bedrock's content-filter ValidationException (a Stability "
            "model: `Filter reason: prompt`)."
        },
    )
    blocked_image_hashes: frozenset[str] = field(
        default=frozenset(),
        metadata={"doc": "Input moderation: sha256 (hex) of an input image's base64 string as sent."},
    )
    blocked_image_marker: str | None = field(
        default=None,
        metadata={
            "doc": "Input moderation: an input image whose decoded bytes contain this text is blocked (for "
            "example a PNG `tEXt` chunk)."
        },
    )
    mask_prompt_failure_words: tuple[str, ...] = field(
        default=(),
        metadata={
            "doc": "A `maskPrompt` containing one of these words fails with Bedrock's mask-generation text."
        },
    )
    output_block: OutputBlock = field(default_factory=OutputBlock)  # flattened as `output_block_*` settings

    def to_json(self) -> dict[str, object]:
        """The control API's view."""
        return {
            "blocked_words": list(self.blocked_words),
            "blocked_image_hashes": sorted(self.blocked_image_hashes),
            "blocked_image_marker": self.blocked_image_marker,
            "mask_prompt_failure_words": list(self.mask_prompt_failure_words),
            "output_block": self.output_block.to_json(),
        }

    @cached_property
    def _moderating(self) -> bool:
        return bool(
            self.blocked_words
            or self.blocked_image_hashes
            or self.blocked_image_marker
            or self.mask_prompt_failure_words
        )

    @cached_property
    def _blocked(self) -> re.Pattern[str] | None:
        return words_pattern(self.blocked_words)

    @cached_property
    def _mask_failure(self) -> re.Pattern[str] | None:
        return words_pattern(self.mask_prompt_failure_words)

    @cached_property
    def _output_words(self) -> re.Pattern[str] | None:
        return words_pattern(self.output_block.words)

    def moderate(self, request: TypedRequest) -> BedrockError | FinishReason | None:
        """docs/CONTRACT.md §2.4 step 12: the first input-moderation failure, checking text, then images, then
        mask prompts; a Stability model's verdict (docs/CONTRACT.md §S6.2 step 14)."""
        if not self._moderating:
            return None  # the common case, kept cheap: this runs on every valid request
        if isinstance(request, StabilityRequest):
            return self._moderate_stability(request)
        if self._blocked is not None and any(self._blocked.search(t) for t in prompt_texts(request)):
            text = messages.TITAN_TEXT_BLOCKED if request.model.is_titan else messages.NOVA_TEXT_BLOCKED
            return _validation(text)
        if any(self._image_blocked(image) for image in input_images(request.params)):
            return _validation(messages.IMAGE_BLOCKED)  # Nova's text for Titan too (docs/CONTRACT.md D28)
        if self._mask_failure is not None and any(
            self._mask_failure.search(t) for t in mask_prompts(request)
        ):
            return _validation(messages.MASK_PROMPT_FAILED)
        return None

    def _moderate_stability(self, request: StabilityRequest) -> BedrockError | FinishReason | None:
        """Texts, then input images; SDXL refuses a blocked word with its 400 (docs/CONTRACT.md §S5.3)."""
        if self._blocked is not None and any(self._blocked.search(t) for t in request.texts):
            if STABILITY_MODELS[request.model].family is Family.V1:
                return _validation(SDXL_INVALID_PROMPTS)
            return FinishReason.PROMPT
        if any(self._image_blocked(image) for image in request.input_images):
            return FinishReason.INPUT_IMAGE
        return None

    def _image_blocked(self, image: InputImage | StabilityImage) -> bool:
        if image.sha256 in self.blocked_image_hashes:
            return True
        if self.blocked_image_marker is None:
            return False
        try:
            raw = base64.b64decode(image.base64, validate=False)
        except (binascii.Error, ValueError):
            return False
        return self.blocked_image_marker.encode() in raw

    def blocked_indices(self, request: TypedRequest, seed: int) -> frozenset[int]:
        """docs/CONTRACT.md §8.3: the indices of `range(numberOfImages)` output moderation drops (a Stability
        model's one image is index 0)."""
        out = self.output_block
        count = image_count(request)
        if out.mode == "none" or count == 0:
            return frozenset()
        if self._output_words is not None and not any(
            self._output_words.search(t) for t in prompt_texts(request)
        ):
            return frozenset()
        if out.mode == "all":
            return frozenset(range(count))
        if out.mode == "indices":
            return frozenset(i for i in out.indices if 0 <= i < count)
        digest = canonical_digest(request)
        return frozenset(i for i in range(count) if unit_hash(seed, digest, i) < out.probability)


def _validation(text: str) -> BedrockError:
    return BedrockError("ValidationException", messages.EXCEPTION_STATUS["ValidationException"], text)


def words_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    """Whole-word, case-insensitive alternation of `words` (None when there are none)."""
    if not words:
        return None
    alternation = "|".join(re.escape(word) for word in words)
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def prompt_texts(request: TypedRequest) -> list[str]:
    """The `text` and `negativeText` of the request's params (absent ones skipped); every prompt-like text
    of a Stability request."""
    if isinstance(request, StabilityRequest):
        return list(request.texts)
    params = request.params
    texts = [getattr(params, "text", None), getattr(params, "negative_text", None)]
    return [t for t in texts if isinstance(t, str)]


def mask_prompts(request: InvokeRequest) -> list[str]:
    """`maskPrompt` of INPAINTING/OUTPAINTING, or of a VTO `promptBasedMask`."""
    params = request.params
    found = [getattr(params, "mask_prompt", None)]
    prompt_mask = getattr(params, "prompt_based_mask", None)
    if prompt_mask is not None:
        found.append(prompt_mask.mask_prompt)
    return [t for t in found if isinstance(t, str)]


def input_images(value: object) -> Iterator[InputImage]:
    """Every `InputImage` inside a params object (nested objects and tuples included)."""
    if isinstance(value, InputImage):
        yield value
    elif isinstance(value, tuple):
        for item in value:
            yield from input_images(item)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        for f in dataclasses.fields(value):
            yield from input_images(getattr(value, f.name))


def canonical_digest(request: TypedRequest) -> bytes:
    """A digest of the canonical request without `numberOfImages`, so index i's fate does not depend on it.

    The typed request already has defaults applied, ignored fields reset and the canonical model id
    (docs/CONTRACT.md §8.2); images are represented by their base64 text (pixels are excluded from the
    dataclass repr).
    """
    if isinstance(request, StabilityRequest):
        return hashlib.sha256(repr(request).encode()).digest()
    config = dataclasses.replace(request.config, number_of_images=1)
    return hashlib.sha256(repr(dataclasses.replace(request, config=config)).encode()).digest()


def unit_hash(seed: int, digest: bytes, index: int) -> float:
    """A number in [0, 1) fixed by seed, request digest and index."""
    mixed = hashlib.sha256(f"{seed}:{index}:".encode() + digest).digest()
    return int.from_bytes(mixed[:8], "big") / 2**64


def filters_from_json(data: Mapping[str, object]) -> ContentFilters:
    """Parse the control API's / configuration's filter object; raises ValueError with the offending key."""
    unknown = set(data) - {f.name for f in dataclasses.fields(ContentFilters)}
    if unknown:
        raise ValueError(f"unknown filter setting(s): {', '.join(sorted(unknown))}")
    marker = data.get("blocked_image_marker")
    if marker and not str(marker).isascii() and not _utf8(str(marker)):
        raise ValueError("blocked_image_marker must be valid Unicode (no lone surrogate)")
    output = data.get("output_block") or {}
    if not isinstance(output, Mapping):
        raise ValueError("output_block must be an object")
    return ContentFilters(
        blocked_words=_strings(data.get("blocked_words"), "blocked_words"),
        blocked_image_hashes=frozenset(
            h.lower() for h in _strings(data.get("blocked_image_hashes"), "hashes")
        ),
        blocked_image_marker=str(marker) if marker else None,
        mask_prompt_failure_words=_strings(
            data.get("mask_prompt_failure_words"), "mask_prompt_failure_words"
        ),
        output_block=_output_from_json(output),
    )


def _output_from_json(data: Mapping[str, object]) -> OutputBlock:
    unknown = set(data) - {"mode", "indices", "probability", "words"}
    if unknown:
        raise ValueError(f"unknown output_block setting(s): {', '.join(sorted(unknown))}")
    mode = str(data.get("mode", "none"))
    if mode not in OUTPUT_MODES:
        raise ValueError(f"output_block mode must be one of {', '.join(OUTPUT_MODES)}, not {mode!r}")
    raw_indices = data.get("indices") or []
    if not isinstance(raw_indices, list | tuple):
        raise ValueError("output_block indices must be a list of integers")
    probability = float(str(data.get("probability", 0.0)))
    if not 0.0 <= probability <= 1.0:
        raise ValueError("output_block probability must be between 0 and 1")
    indices = tuple(sorted({int(str(i)) for i in raw_indices}))
    if indices and indices[0] < 0:
        raise ValueError("output_block indices must not be negative")
    return OutputBlock(
        mode=mode,
        indices=indices,
        probability=probability,
        words=_strings(data.get("words"), "output_block words"),
    )


def _utf8(text: str) -> bool:
    """The marker is matched against image bytes as UTF-8: JSON's `"\\ud800"` cannot be encoded."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return True


def _strings(value: object, name: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ValueError(f"{name} must be a list of strings")
    return tuple(str(item) for item in value if str(item))
