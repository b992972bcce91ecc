"""Typed, defaulted InvokeModel requests for the three image models.

The validator parses a request body into these frozen objects once, at the boundary, after every check has
passed (docs/CONTRACT.md §3, §8.1). Everything downstream (the emulator, its generators, the journal) takes
these objects and never touches the raw JSON dicts again.

Enum values are the exact wire strings.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import TypeAlias

import numpy as np
import numpy.typing as npt

from validator.stability.models import StabilityModel

Pixels: TypeAlias = npt.NDArray[np.uint8]


class ModelId(StrEnum):
    """Canonical ids of the served models (docs/CONTRACT.md §1.1)."""

    NOVA_CANVAS = "amazon.nova-canvas-v1:0"
    TITAN_V1 = "amazon.titan-image-generator-v1"
    TITAN_V2 = "amazon.titan-image-generator-v2:0"

    @property
    def is_titan(self) -> bool:
        """True for both Titan Image Generator versions."""
        return self is not ModelId.NOVA_CANVAS


class TaskType(StrEnum):
    """Values of the top-level `taskType` field."""

    TEXT_IMAGE = "TEXT_IMAGE"
    COLOR_GUIDED_GENERATION = "COLOR_GUIDED_GENERATION"
    IMAGE_VARIATION = "IMAGE_VARIATION"
    INPAINTING = "INPAINTING"
    OUTPAINTING = "OUTPAINTING"
    BACKGROUND_REMOVAL = "BACKGROUND_REMOVAL"
    VIRTUAL_TRY_ON = "VIRTUAL_TRY_ON"


class Quality(StrEnum):
    STANDARD = "standard"
    PREMIUM = "premium"


class Style(StrEnum):
    """Nova Canvas `textToImageParams.style`."""

    ANIMATED_FAMILY_FILM_3D = "3D_ANIMATED_FAMILY_FILM"
    DESIGN_SKETCH = "DESIGN_SKETCH"
    FLAT_VECTOR_ILLUSTRATION = "FLAT_VECTOR_ILLUSTRATION"
    GRAPHIC_NOVEL_ILLUSTRATION = "GRAPHIC_NOVEL_ILLUSTRATION"
    MAXIMALISM = "MAXIMALISM"
    MIDCENTURY_RETRO = "MIDCENTURY_RETRO"
    PHOTOREALISM = "PHOTOREALISM"
    SOFT_DIGITAL_PAINTING = "SOFT_DIGITAL_PAINTING"


class ControlMode(StrEnum):
    CANNY_EDGE = "CANNY_EDGE"
    SEGMENTATION = "SEGMENTATION"


class OutPaintingMode(StrEnum):
    DEFAULT = "DEFAULT"
    PRECISE = "PRECISE"


class MaskType(StrEnum):
    IMAGE = "IMAGE"
    GARMENT = "GARMENT"
    PROMPT = "PROMPT"


class GarmentClass(StrEnum):
    UPPER_BODY = "UPPER_BODY"
    LOWER_BODY = "LOWER_BODY"
    FULL_BODY = "FULL_BODY"
    FOOTWEAR = "FOOTWEAR"
    LONG_SLEEVE_SHIRT = "LONG_SLEEVE_SHIRT"
    SHORT_SLEEVE_SHIRT = "SHORT_SLEEVE_SHIRT"
    NO_SLEEVE_SHIRT = "NO_SLEEVE_SHIRT"
    OTHER_UPPER_BODY = "OTHER_UPPER_BODY"
    LONG_PANTS = "LONG_PANTS"
    SHORT_PANTS = "SHORT_PANTS"
    OTHER_LOWER_BODY = "OTHER_LOWER_BODY"
    LONG_DRESS = "LONG_DRESS"
    SHORT_DRESS = "SHORT_DRESS"
    FULL_BODY_OUTFIT = "FULL_BODY_OUTFIT"
    OTHER_FULL_BODY = "OTHER_FULL_BODY"
    SHOES = "SHOES"
    BOOTS = "BOOTS"
    OTHER_FOOTWEAR = "OTHER_FOOTWEAR"


class MaskShape(StrEnum):
    CONTOUR = "CONTOUR"
    BOUNDING_BOX = "BOUNDING_BOX"
    DEFAULT = "DEFAULT"


class LongSleeveStyle(StrEnum):
    SLEEVE_DOWN = "SLEEVE_DOWN"
    SLEEVE_UP = "SLEEVE_UP"


class TuckingStyle(StrEnum):
    UNTUCKED = "UNTUCKED"
    TUCKED = "TUCKED"


class OuterLayerStyle(StrEnum):
    CLOSED = "CLOSED"
    OPEN = "OPEN"


class Exclusion(StrEnum):
    """Values of each `maskExclusions` member."""

    ON = "ON"
    OFF = "OFF"
    DEFAULT = "DEFAULT"


class MergeStyle(StrEnum):
    BALANCED = "BALANCED"
    SEAMLESS = "SEAMLESS"
    DETAILED = "DETAILED"


@dataclass(frozen=True)
class ImageSize:
    """A pixel size, width first."""

    width: int
    height: int

    def __str__(self) -> str:
        return f"{self.width}x{self.height}"


@dataclass(frozen=True, eq=False)
class InputImage:
    """A decoded, validated input image.

    `pixels` is always H x W x 3 `uint8` RGB (alpha, when present, was checked to be fully opaque and
    dropped; greyscale masks are expanded to RGB). `base64` is the string exactly as sent, used for hashing
    and journaling. Equality and hashing go by `base64`.
    """

    pointer: str
    base64: str
    pixels: Pixels = field(repr=False)

    @property
    def size(self) -> ImageSize:
        """The pixel size of the image."""
        return ImageSize(int(self.pixels.shape[1]), int(self.pixels.shape[0]))

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the base64 text as sent: what content filters, the journal and the request digests
        name the picture by (computed once per image, however many of them ask)."""
        return hashlib.sha256(self.base64.encode("ascii", "replace")).hexdigest()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, InputImage) and other.base64 == self.base64

    def __hash__(self) -> int:
        return hash(self.base64)


@dataclass(frozen=True)
class ImageGenerationConfig:
    """`imageGenerationConfig` with the model's defaults filled in (docs/CONTRACT.md §3.2, §8.1).

    On editing tasks `width`/`height` hold the defaults, not what was sent: sent values are ignored
    (docs/CONTRACT.md D7).
    """

    width: int
    height: int
    quality: Quality
    cfg_scale: float
    number_of_images: int
    seed: int


@dataclass(frozen=True)
class TextToImageParams:
    text: str
    negative_text: str | None = None
    style: Style | None = None
    condition_image: InputImage | None = None
    # Defaulted (CANNY_EDGE / 0.7) only when condition_image is present; None otherwise (docs/CONTRACT.md D6).
    control_mode: ControlMode | None = None
    control_strength: float | None = None


@dataclass(frozen=True)
class ColorGuidedGenerationParams:
    text: str
    colors: tuple[str, ...]
    negative_text: str | None = None
    reference_image: InputImage | None = None


@dataclass(frozen=True)
class ImageVariationParams:
    images: tuple[InputImage, ...]
    similarity_strength: float = 0.7
    text: str | None = None
    negative_text: str | None = None


@dataclass(frozen=True)
class InPaintingParams:
    """Exactly one of `mask_prompt` and `mask_image` is set. Black mask pixels are edited (docs/CONTRACT.md
    §6)."""

    image: InputImage
    mask_prompt: str | None = None
    mask_image: InputImage | None = None
    text: str | None = None
    negative_text: str | None = None
    return_mask: bool = False  # Titan only; always False on Nova


@dataclass(frozen=True)
class OutPaintingParams:
    """Exactly one of `mask_prompt` and `mask_image` is set. Black mask pixels are kept (docs/CONTRACT.md
    §6)."""

    image: InputImage
    mask_prompt: str | None = None
    mask_image: InputImage | None = None
    text: str | None = None
    negative_text: str | None = None
    out_painting_mode: OutPaintingMode = OutPaintingMode.DEFAULT
    return_mask: bool = False  # Titan only; always False on Nova


@dataclass(frozen=True)
class BackgroundRemovalParams:
    image: InputImage


@dataclass(frozen=True)
class GarmentStyling:
    long_sleeve_style: LongSleeveStyle | None = None
    tucking_style: TuckingStyle | None = None
    outer_layer_style: OuterLayerStyle = OuterLayerStyle.CLOSED


@dataclass(frozen=True)
class GarmentBasedMask:
    garment_class: GarmentClass
    mask_shape: MaskShape = MaskShape.DEFAULT
    garment_styling: GarmentStyling = GarmentStyling()


@dataclass(frozen=True)
class PromptBasedMask:
    mask_prompt: str
    mask_shape: MaskShape = MaskShape.BOUNDING_BOX


@dataclass(frozen=True)
class MaskExclusions:
    preserve_body_pose: Exclusion = Exclusion.DEFAULT
    preserve_hands: Exclusion = Exclusion.DEFAULT
    preserve_face: Exclusion = Exclusion.DEFAULT


@dataclass(frozen=True)
class VirtualTryOnParams:
    """Exactly the mask object matching `mask_type` is set (docs/CONTRACT.md §3.3)."""

    source_image: InputImage
    reference_image: InputImage
    mask_type: MaskType
    image_based_mask: InputImage | None = None
    garment_based_mask: GarmentBasedMask | None = None
    prompt_based_mask: PromptBasedMask | None = None
    mask_exclusions: MaskExclusions = MaskExclusions()
    merge_style: MergeStyle = MergeStyle.BALANCED
    return_mask: bool = False


TaskParams: TypeAlias = (
    TextToImageParams
    | ColorGuidedGenerationParams
    | ImageVariationParams
    | InPaintingParams
    | OutPaintingParams
    | BackgroundRemovalParams
    | VirtualTryOnParams
)


@dataclass(frozen=True)
class InvokeRequest:
    """A valid request, typed and defaulted: what the model would actually run.

    `output_size` is the size of every returned image (docs/CONTRACT.md §4): the config's width x height for
    generation tasks, the input image's size for editing tasks. For BACKGROUND_REMOVAL
    `config.number_of_images` is 1.
    """

    model: ModelId
    task_type: TaskType
    params: TaskParams
    config: ImageGenerationConfig
    output_size: ImageSize

    @property
    def returns_mask(self) -> bool:
        """True when the response must carry `maskImage` (VTO or Titan INPAINTING/OUTPAINTING returnMask)."""
        params = self.params
        if isinstance(params, InPaintingParams | OutPaintingParams | VirtualTryOnParams):
            return params.return_mask
        return False


#: Every model the validator knows: Nova Canvas and Titan (`ModelId`) and the Stability AI models
#: (`validator.stability.models.StabilityModel`, docs/CONTRACT.md §S1).
ServedModel: TypeAlias = "ModelId | StabilityModel"
