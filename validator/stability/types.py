"""Typed, defaulted requests for the Stability AI models (docs/CONTRACT.md §S4, §S5).

The validator builds a `StabilityRequest` once a body has passed every check; the emulator, its generators
and the journal read only this object. Enum values are the exact wire strings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from validator.stability.models import Operation, StabilityModel
from validator.types import ImageSize, Pixels


class OutputFormat(StrEnum):
    PNG = "png"
    JPEG = "jpeg"
    WEBP = "webp"


class AspectRatio(StrEnum):
    """`aspect_ratio` values, in the order the contract lists them (docs/CONTRACT.md §S4.0)."""

    R16_9 = "16:9"
    R1_1 = "1:1"
    R21_9 = "21:9"
    R2_3 = "2:3"
    R3_2 = "3:2"
    R4_5 = "4:5"
    R5_4 = "5:4"
    R9_16 = "9:16"
    R9_21 = "9:21"


class StylePreset(StrEnum):
    ANALOG_FILM = "analog-film"
    ANIME = "anime"
    CINEMATIC = "cinematic"
    COMIC_BOOK = "comic-book"
    DIGITAL_ART = "digital-art"
    ENHANCE = "enhance"
    FANTASY_ART = "fantasy-art"
    ISOMETRIC = "isometric"
    LINE_ART = "line-art"
    LOW_POLY = "low-poly"
    MODELING_COMPOUND = "modeling-compound"
    MODEL_3D = "3d-model"
    NEON_PUNK = "neon-punk"
    ORIGAMI = "origami"
    PHOTOGRAPHIC = "photographic"
    PIXEL_ART = "pixel-art"
    TILE_TEXTURE = "tile-texture"


@dataclass(frozen=True, eq=False)
class StabilityImage:
    """A decoded input image (docs/CONTRACT.md §S4.5, D-S14).

    `pixels` is H x W x 3 `uint8` RGB; `alpha` is the H x W `uint8` alpha channel when the image had one
    (Inpaint and Erase read it as the mask when no `mask` is sent), else None. `base64` is the string exactly
    as sent. Equality and hashing go by `base64`.
    """

    pointer: str  # `#/image`, `#/mask`, `#/init_image`, `#/style_image`
    base64: str
    format: OutputFormat  # the encoding the bytes were in (png, jpeg or webp)
    pixels: Pixels = field(repr=False)
    alpha: Pixels | None = field(default=None, repr=False)

    @property
    def size(self) -> ImageSize:
        return ImageSize(int(self.pixels.shape[1]), int(self.pixels.shape[0]))

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the base64 text as sent: what content filters, the journal and the request digests
        name the picture by (computed once per image, however many of them ask)."""
        return hashlib.sha256(self.base64.encode("ascii", "replace")).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StabilityImage) and other.base64 == self.base64

    def __hash__(self) -> int:
        return hash(self.base64)


@dataclass(frozen=True)
class SdxlPrompt:
    """One member of SDXL's `text_prompts`; a negative weight makes it a negative prompt."""

    text: str
    weight: float = 1.0


@dataclass(frozen=True)
class SdxlParams:
    """SDXL 1.0's own fields (docs/CONTRACT.md §S4.7), defaults applied."""

    text_prompts: tuple[SdxlPrompt, ...]
    cfg_scale: float = 7.0
    steps: int = 30
    sampler: str | None = None
    clip_guidance_preset: str | None = None
    init_image_mode: str | None = None  # IMAGE_STRENGTH (default) or STEP_SCHEDULE, image-to-image only
    image_strength: float | None = None  # image-to-image only


@dataclass(frozen=True)
class StabilityRequest:
    """A valid Stability request, typed and defaulted: what the model would actually run.

    `seed` is the seed used: the one sent, or, when the body sent 0 or none, one drawn from the request
    itself so the same body always gets the same seed (docs/CONTRACT.md §S5.2, D-S15); `seed_sent` is what
    the body said (0 when absent). `output_size` is the size of the returned image (docs/CONTRACT.md §S3.5).
    `image` is the main input picture (`image`, or `init_image` for Style Transfer and SDXL). Fields a model
    does not take stay at their defaults (None, or 0 for the outpaint margins).
    """

    model: StabilityModel
    operation: Operation
    seed: int
    output_format: OutputFormat
    output_size: ImageSize
    seed_sent: int = 0
    prompt: str = ""
    negative_prompt: str | None = None
    aspect_ratio: AspectRatio | None = None
    style_preset: StylePreset | None = None
    image: StabilityImage | None = None
    mask: StabilityImage | None = None
    style_image: StabilityImage | None = None
    strength: float | None = None
    creativity: float | None = None
    grow_mask: float | None = None
    control_strength: float | None = None
    fidelity: float | None = None
    composition_fidelity: float | None = None
    style_strength: float | None = None
    change_strength: float | None = None
    left: int = 0
    right: int = 0
    up: int = 0
    down: int = 0
    search_prompt: str | None = None
    select_prompt: str | None = None
    sdxl: SdxlParams | None = None

    @property
    def texts(self) -> tuple[str, ...]:
        """Every text a content filter reads: prompt, negative prompt, search/select prompts, SDXL prompts."""
        texts = [self.prompt, self.negative_prompt, self.search_prompt, self.select_prompt]
        if self.sdxl is not None:
            texts.extend(p.text for p in self.sdxl.text_prompts)
        return tuple(t for t in texts if t)

    @property
    def input_images(self) -> tuple[StabilityImage, ...]:
        """Every input picture, in field order."""
        return tuple(i for i in (self.image, self.mask, self.style_image) if i is not None)
