"""The Stability AI request contract as data (docs/CONTRACT.md §S4.0-§S4.7, §S6.3).

One `StabilitySpec` per canonical id: the container's `<name>` and its fields in the order the unknown-field
message lists them (§S6.3), each field with its JSON kind, bounds, enum and default; the image rules of each
image field (§S4.5); whether Bedrock's own schema layer checks `prompt` first (D-S17). SDXL (§S4.7) is a
`validator.spec.Field` tree, checked by the main contract's everit-style schema walk (§S6.2 step 10b).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Final

from validator.spec import Field, Kind, Limit
from validator.stability.models import StabilityModel
from validator.stability.types import AspectRatio, OutputFormat, StylePreset
from validator.types import ImageSize


class StKind(StrEnum):
    """The JSON kind of a V2 field; `IMAGE` is a base64 string decoded at step 13 (§S4.5)."""

    STRING = "string"
    NUMBER = "number"
    INTEGER = "integer"
    ENUM = "enum"
    IMAGE = "image"


@dataclass(frozen=True)
class ImageRules:
    """The §S4.5 limits on one image field. `max_pixels` is also the decode guard: no image above it is ever
    decoded (decompression bombs)."""

    min_side: int = 1
    max_side: int | None = None
    min_pixels: int | None = None
    max_pixels: int = 9_437_184
    ratio: bool = False  # 1:2.5 to 2.5:1
    mask: bool = False  # greyscale allowed, any size (only the decode guard applies)


@dataclass(frozen=True)
class StField:
    """One V2 body field (docs/CONTRACT.md §S4.0). `low`/`high` are printed as written in ST-RANGE."""

    name: str
    kind: StKind
    required: bool = False
    low: str | None = None
    high: str | None = None
    max_length: int | None = None
    enum: tuple[str, ...] = ()
    default: object = None
    image: ImageRules | None = None
    low_value: Decimal | None = field(init=False, repr=False, compare=False)
    high_value: Decimal | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "low_value", None if self.low is None else Decimal(self.low))
        object.__setattr__(self, "high_value", None if self.high is None else Decimal(self.high))


@dataclass(frozen=True)
class StabilitySpec:
    """One V2 model: container name, fields in message order, and its rules."""

    model: StabilityModel
    name: str  # `<name>` in `Available fields for <name> are: ...` (§S6.3)
    fields: tuple[StField, ...]
    schema_prompt: bool = False  # D-S17: Bedrock's `#: required key [prompt]` check runs first
    mode_selects: bool = False  # SD3.5 / SD3: `mode` picks image-to-image (D-S19)
    image_selects: bool = False  # Ultra: an `image` picks image-to-image (D-S12)
    outpaint: bool = False  # at least one non-zero direction (§S4.6)
    by_name: Mapping[str, StField] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", MappingProxyType({f.name: f for f in self.fields}))

    @property
    def available(self) -> str:
        """The comma list of the unknown-field message."""
        return ", ".join(f.name for f in self.fields)


# ---- shared field definitions (docs/CONTRACT.md §S4.0) ----
MAX_TEXT: Final = 10_000
SEED_MAX_SERVICES: Final = 4_294_967_294  # SD3.5 and the services (D-S9)
SEED_MAX_LEGACY: Final = 4_294_967_295  # Core, Ultra, SD3 Large, SDXL (D-S9)
ALL_FORMATS: Final = tuple(f.value for f in (OutputFormat.JPEG, OutputFormat.PNG, OutputFormat.WEBP))
NO_WEBP: Final = (OutputFormat.JPEG.value, OutputFormat.PNG.value)  # D-S10
ASPECTS: Final = tuple(a.value for a in AspectRatio)
PRESETS: Final = (
    "3d-model", "analog-film", "anime", "cinematic", "comic-book", "digital-art", "enhance", "fantasy-art",
    "isometric", "line-art", "low-poly", "modeling-compound", "neon-punk", "origami", "photographic",
    "pixel-art", "tile-texture",
)  # fmt: skip
assert set(PRESETS) == {p.value for p in StylePreset}

# §S4.5 image rules
SERVICE_IMAGE: Final = ImageRules(min_side=64, max_pixels=9_437_184, min_pixels=4_096, ratio=True)
MASK_IMAGE: Final = ImageRules(mask=True)
GENERATOR_IMAGE: Final = ImageRules(min_side=64)  # SD3.5 i2i: "Minimum 64 pixels per side"
ULTRA_IMAGE: Final = ImageRules()  # nothing documented beyond the format; the decode guard only
SD3_IMAGE: Final = ImageRules(min_side=640, max_side=1536)
CREATIVE_IMAGE: Final = ImageRules(min_side=64, min_pixels=4_096, max_pixels=1_048_576)
FAST_IMAGE: Final = ImageRules(min_side=32, max_side=1536, min_pixels=1_024, max_pixels=1_048_576)
SDXL_IMAGE: Final = ImageRules(min_side=64)


def _prompt(required: bool = True, name: str = "prompt") -> StField:
    return StField(name, StKind.STRING, required=required, max_length=MAX_TEXT)


def _seed(high: int) -> StField:
    return StField("seed", StKind.INTEGER, low="0", high=str(high), default=0)


def _number(name: str, low: str, high: str, default: str | None = None) -> StField:
    return StField(
        name, StKind.NUMBER, low=low, high=high, default=None if default is None else Decimal(default)
    )


def _formats(values: tuple[str, ...] = ALL_FORMATS) -> StField:
    return StField("output_format", StKind.ENUM, enum=values, default="png")


def _image(rules: ImageRules, required: bool = True, name: str = "image") -> StField:
    return StField(name, StKind.IMAGE, required=required, image=rules)


NEGATIVE: Final = _prompt(required=False, name="negative_prompt")
ASPECT: Final = StField("aspect_ratio", StKind.ENUM, enum=ASPECTS, default="1:1")
STYLE: Final = StField("style_preset", StKind.ENUM, enum=PRESETS)
STRENGTH: Final = _number("strength", "0", "1")
GROW_MASK: Final = _number("grow_mask", "0", "20", "5")
CONTROL_STRENGTH: Final = _number("control_strength", "0", "1", "0.7")


def _direction(name: str) -> StField:
    return StField(name, StKind.INTEGER, low="0", high="2000", default=0)


def _generator(model: StabilityModel, name: str, sd3: bool, legacy: bool) -> StabilitySpec:
    """Ultra and SD3.5 / SD3 Large: the same eight fields (§S4.1-§S4.3, §S6.3)."""
    modes = ("text-to-image", "image-to-image") if sd3 else ("text-to-image",)
    image = SD3_IMAGE if sd3 and legacy else GENERATOR_IMAGE if sd3 else ULTRA_IMAGE
    fields = (
        _prompt(),
        NEGATIVE,
        StField("mode", StKind.ENUM, enum=modes, default="text-to-image"),
        STRENGTH,
        _seed(SEED_MAX_LEGACY if legacy or not sd3 else SEED_MAX_SERVICES),
        _formats(NO_WEBP if legacy or not sd3 else ALL_FORMATS),
        _image(image, required=False),
        ASPECT,
    )
    return StabilitySpec(model, name, fields, schema_prompt=True, mode_selects=sd3, image_selects=not sd3)


def _core(model: StabilityModel) -> StabilitySpec:
    """Core takes `mode` with its one value: a client in production sends it to Core (D-S13)."""
    mode = StField("mode", StKind.ENUM, enum=("text-to-image",), default="text-to-image")
    fields = (_prompt(), NEGATIVE, mode, ASPECT, _seed(SEED_MAX_LEGACY), _formats(NO_WEBP), STYLE)
    return StabilitySpec(model, "core", fields, schema_prompt=True)


_SEED: Final = _seed(SEED_MAX_SERVICES)
_FORMATS: Final = _formats()


def _control(model: StabilityModel, name: str) -> StabilitySpec:
    fields = (_image(SERVICE_IMAGE), _prompt(), CONTROL_STRENGTH, NEGATIVE, _SEED, _FORMATS, STYLE)
    return StabilitySpec(model, name, fields)


def _search(model: StabilityModel, name: str, selector: str) -> StabilitySpec:
    fields = (
        _image(SERVICE_IMAGE),
        _prompt(),
        _prompt(name=selector),
        GROW_MASK,
        NEGATIVE,
        _SEED,
        _FORMATS,
        STYLE,
    )
    return StabilitySpec(model, name, fields)


M = StabilityModel
_SPECS: Final = (
    _generator(M.ULTRA, "ultra", sd3=False, legacy=False),
    _generator(M.ULTRA_V1_0, "ultra", sd3=False, legacy=True),
    _generator(M.SD35_LARGE, "sd3", sd3=True, legacy=False),
    _generator(M.SD3_LARGE, "sd3", sd3=True, legacy=True),
    _core(M.CORE),
    _core(M.CORE_V1_0),
    _control(M.CONTROL_SKETCH, "control-sketch"),
    _control(M.CONTROL_STRUCTURE, "control-structure"),
    StabilitySpec(
        M.CREATIVE_UPSCALE,
        "upscale-creative",
        (
            _image(CREATIVE_IMAGE),
            _prompt(),
            _number("creativity", "0.1", "0.5", "0.3"),
            NEGATIVE,
            _SEED,
            _FORMATS,
            STYLE,
        ),
    ),
    StabilitySpec(
        M.CONSERVATIVE_UPSCALE,
        "upscale-conservative",
        (
            _image(SERVICE_IMAGE),
            _prompt(),
            _number("creativity", "0.1", "0.5", "0.35"),
            NEGATIVE,
            _SEED,
            _FORMATS,
        ),
    ),
    StabilitySpec(M.FAST_UPSCALE, "upscale-fast", (_image(FAST_IMAGE), _FORMATS)),
    StabilitySpec(
        M.INPAINT,
        "inpaint",
        (
            _image(SERVICE_IMAGE),
            _prompt(),
            _image(MASK_IMAGE, required=False, name="mask"),
            GROW_MASK,
            NEGATIVE,
            _SEED,
            _FORMATS,
            STYLE,
        ),
    ),
    StabilitySpec(
        M.OUTPAINT,
        "outpaint",
        (
            _image(SERVICE_IMAGE),
            _prompt(required=False),
            _direction("left"),
            _direction("right"),
            _direction("up"),
            _direction("down"),
            _number("creativity", "0.1", "1", "0.5"),
            _SEED,
            _FORMATS,
            STYLE,
        ),
        outpaint=True,
    ),
    _search(M.SEARCH_RECOLOR, "search-and-recolor", "select_prompt"),
    _search(M.SEARCH_REPLACE, "search-and-replace", "search_prompt"),
    StabilitySpec(
        M.ERASE,
        "erase",
        (_image(SERVICE_IMAGE), _image(MASK_IMAGE, required=False, name="mask"), GROW_MASK, _SEED, _FORMATS),
    ),
    StabilitySpec(M.REMOVE_BACKGROUND, "remove-background", (_image(SERVICE_IMAGE), _FORMATS)),
    StabilitySpec(
        M.STYLE_GUIDE,
        "control-style",
        (
            _image(SERVICE_IMAGE),
            _prompt(),
            ASPECT,
            _number("fidelity", "0", "1", "0.5"),
            NEGATIVE,
            _SEED,
            _FORMATS,
            STYLE,
        ),
    ),
    StabilitySpec(
        M.STYLE_TRANSFER,
        "control-style-transfer",
        (
            _image(SERVICE_IMAGE, name="init_image"),
            _image(SERVICE_IMAGE, name="style_image"),
            _prompt(required=False),  # no length stated; the shared 10,000 applies (Project)
            NEGATIVE,
            _number("composition_fidelity", "0", "1", "0.9"),
            _number("style_strength", "0", "1", "1"),
            _number("change_strength", "0.1", "1", "0.9"),
            _SEED,
            _FORMATS,
        ),
    ),
)

#: V2 model → its spec (every Stability model but SDXL).
STABILITY_SPECS: Final[Mapping[StabilityModel, StabilitySpec]] = MappingProxyType(
    {s.model: s for s in _SPECS}
)

#: Ultra's i2i strength when `image` is sent without one (docs/CONTRACT.md §S4.3, D-S12).
ULTRA_STRENGTH_DEFAULT: Final = 0.35

# ---- output sizes (docs/CONTRACT.md §S3.5, D-S8) ----
ASPECT_SIZES: Final[Mapping[str, ImageSize]] = MappingProxyType(
    {
        "1:1": ImageSize(1024, 1024),
        "16:9": ImageSize(1344, 768),
        "21:9": ImageSize(1536, 640),
        "2:3": ImageSize(832, 1216),
        "3:2": ImageSize(1216, 832),
        "4:5": ImageSize(896, 1088),
        "5:4": ImageSize(1088, 896),
        "9:16": ImageSize(768, 1344),
        "9:21": ImageSize(640, 1536),
    }
)
ONE_MEGAPIXEL: Final = 1_048_576
I2I_STEP: Final = 64
I2I_SIDES: Final = (640, 1536)
UPSCALE_LONG_SIDE: Final = 4096
FAST_UPSCALE_FACTOR: Final = 4

# ---- SDXL 1.0 (docs/CONTRACT.md §S4.7) ----
SDXL_PAIRS: Final = (
    (1024, 1024), (1152, 896), (1216, 832), (1344, 768), (1536, 640),
    (640, 1536), (768, 1344), (832, 1216), (896, 1152),
)  # fmt: skip
SDXL_TEXT_MAX: Final = 2000
SDXL_DEFAULTS: Final[Mapping[str, object]] = MappingProxyType(
    {"cfg_scale": 7.0, "steps": 30, "samples": 1, "seed": 0, "width": 1024, "height": 1024}
)
SDXL_IMAGE_STRENGTH_DEFAULT: Final = 0.35  # Stability's v1 image-to-image default (Project)
SDXL_SAMPLERS: Final = (
    "DDIM", "DDPM", "K_DPMPP_2M", "K_DPMPP_2S_ANCESTRAL", "K_DPM_2", "K_DPM_2_ANCESTRAL", "K_EULER",
    "K_EULER_ANCESTRAL", "K_HEUN", "K_LMS",
)  # fmt: skip
SDXL_CLIP: Final = ("FAST_BLUE", "FAST_GREEN", "NONE", "SIMPLE", "SLOW", "SLOWER", "SLOWEST")

#: The SDXL body as a closed everit schema (Project: no SDXL schema message is on record, §S6.2 10b). `extras`
#: is any JSON object ("Use with caution"): the walk sees it as an empty object.
SDXL_ROOT: Final = Field(
    "",
    Kind.OBJECT,
    fields=(
        Field(
            "text_prompts",
            Kind.ARRAY,
            required=True,
            min_items=1,
            items=Field(
                "",
                Kind.OBJECT,
                fields=(
                    Field("text", Kind.STRING, required=True, max_length=SDXL_TEXT_MAX),
                    Field("weight", Kind.NUMBER),
                ),
            ),
        ),
        Field("height", Kind.INTEGER),
        Field("width", Kind.INTEGER),
        Field("cfg_scale", Kind.NUMBER, minimum=Limit("0"), maximum=Limit("35")),
        Field("clip_guidance_preset", Kind.ENUM, enum=SDXL_CLIP),
        Field("sampler", Kind.ENUM, enum=SDXL_SAMPLERS),
        Field("samples", Kind.INTEGER, minimum=Limit("1"), maximum=Limit("1")),
        Field("seed", Kind.INTEGER, minimum=Limit("0"), maximum=Limit(str(SEED_MAX_LEGACY))),
        Field("steps", Kind.INTEGER, minimum=Limit("10"), maximum=Limit("150")),
        Field("style_preset", Kind.ENUM, enum=PRESETS),
        Field("extras", Kind.OBJECT),
        Field("init_image", Kind.IMAGE),
        Field("init_image_mode", Kind.ENUM, enum=("IMAGE_STRENGTH", "STEP_SCHEDULE")),
        Field("image_strength", Kind.NUMBER, minimum=Limit("0"), maximum=Limit("1")),
    ),
)
SDXL_MODELS: Final = frozenset({StabilityModel.SDXL, StabilityModel.SDXL_V0})
