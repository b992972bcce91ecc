"""Build the typed `StabilityRequest` of a valid body (docs/CONTRACT.md §S3.5, §S5.1, §S5.2, D-S8, D-S15).

Defaults are applied from the field table; `output_size` follows §S3.5; a seed of 0 (or none) is replaced by
one derived from a SHA-256 of the canonical request (`request_digest`: every typed field, defaults applied,
except the seed fields), in 1..the model's seed maximum, so the same body always gets the same seed and
re-sending that seed gives the same request apart from `seed_sent`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
from decimal import Decimal
from enum import Enum
from typing import Any, Final

from validator.stability.checks import DIRECTIONS, Json, present
from validator.stability.models import Operation, StabilityModel
from validator.stability.spec import (
    ASPECT_SIZES,
    FAST_UPSCALE_FACTOR,
    I2I_SIDES,
    I2I_STEP,
    ONE_MEGAPIXEL,
    SDXL_DEFAULTS,
    SDXL_IMAGE_STRENGTH_DEFAULT,
    SEED_MAX_LEGACY,
    SEED_MAX_SERVICES,
    ULTRA_STRENGTH_DEFAULT,
    UPSCALE_LONG_SIDE,
    StabilitySpec,
    StKind,
)
from validator.stability.types import (
    AspectRatio,
    OutputFormat,
    SdxlParams,
    SdxlPrompt,
    StabilityImage,
    StabilityRequest,
    StylePreset,
)
from validator.types import ImageSize

#: The fields a derived seed and a picture never depend on: the seed sent and the seed used (D-S15).
SEED_FIELDS: Final = frozenset({"seed", "seed_sent"})
#: Operations whose output keeps the input's size (§S3.5).
_SAME_SIZE: Final = frozenset(
    {
        Operation.INPAINT,
        Operation.ERASE,
        Operation.SEARCH_REPLACE,
        Operation.SEARCH_RECOLOR,
        Operation.REMOVE_BACKGROUND,
    }
)
#: Operations whose output is the input's aspect ratio at about one megapixel (§S3.5).
_ONE_MP: Final = frozenset(
    {
        Operation.IMAGE_TO_IMAGE,
        Operation.CONTROL_SKETCH,
        Operation.CONTROL_STRUCTURE,
        Operation.STYLE_TRANSFER,
    }
)


def one_megapixel(size: ImageSize) -> ImageSize:
    """The input's aspect ratio at ~1,048,576 pixels, sides rounded to multiples of 64 and clamped to 640-1536
    (docs/CONTRACT.md §S3.5)."""
    scale = math.sqrt(ONE_MEGAPIXEL / (size.width * size.height))
    low, high = I2I_SIDES

    def side(value: int) -> int:
        return min(high, max(low, round(value * scale / I2I_STEP) * I2I_STEP))

    return ImageSize(side(size.width), side(size.height))


def upscaled_4k(size: ImageSize) -> ImageSize:
    """Creative / Conservative Upscale: long side 4096, aspect ratio kept (Project, §S3.5)."""
    w, h = size.width, size.height
    if w >= h:
        return ImageSize(UPSCALE_LONG_SIDE, max(1, round(h * UPSCALE_LONG_SIDE / w)))
    return ImageSize(max(1, round(w * UPSCALE_LONG_SIDE / h)), UPSCALE_LONG_SIDE)


def output_size(
    operation: Operation, image: StabilityImage | None, aspect: AspectRatio | None, margins: tuple[int, ...]
) -> ImageSize:
    """The size of the returned image (docs/CONTRACT.md §S3.5, D-S8)."""
    if image is None:  # text-to-image and Style Guide's aspect table
        return ASPECT_SIZES[(aspect or AspectRatio.R1_1).value]
    size = image.size
    if operation is Operation.STYLE_GUIDE:
        return ASPECT_SIZES[(aspect or AspectRatio.R1_1).value]
    if operation in _ONE_MP:
        return one_megapixel(size)
    if operation is Operation.OUTPAINT:
        left, right, up, down = margins
        return ImageSize(size.width + left + right, size.height + up + down)
    if operation is Operation.FAST_UPSCALE:
        return ImageSize(size.width * FAST_UPSCALE_FACTOR, size.height * FAST_UPSCALE_FACTOR)
    if operation in (Operation.CREATIVE_UPSCALE, Operation.CONSERVATIVE_UPSCALE):
        return upscaled_4k(size)
    assert operation in _SAME_SIZE
    return size


def _jsonable(value: object) -> object:
    """A JSON-ready, order-stable rendering of a request value; an image counts by its base64's SHA-256, so
    a megabytes-long image is hashed once and never copied into the document."""
    if isinstance(value, StabilityImage):
        return {"sha256": value.sha256}
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, ImageSize):
        return [value.width, value.height]
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, tuple | list):
        return [_jsonable(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def request_digest(request: StabilityRequest, without: frozenset[str] = SEED_FIELDS) -> bytes:
    """SHA-256 of the canonical request (compact JSON, sorted keys) without the fields named in `without`:
    by default its seed fields, which is what the derived seed is drawn from (D-S15)."""
    canonical = {
        f.name: _jsonable(getattr(request, f.name))
        for f in dataclasses.fields(request)
        if f.name not in without
    }
    data = json.dumps(canonical, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).digest()


def derived_seed(request: StabilityRequest, maximum: int) -> int:
    """The seed used when the body sent 0 or none: 1..maximum, from `request_digest` (D-S15)."""
    return int.from_bytes(request_digest(request)[:8], "big") % maximum + 1


def _seeded(request: StabilityRequest, maximum: int) -> StabilityRequest:
    """The request with its seed used: the one sent, or the derived one (D-S15)."""
    if request.seed_sent:
        return request
    return dataclasses.replace(request, seed=derived_seed(request, maximum))


def _float(value: object) -> float:
    assert isinstance(value, int | Decimal | float)
    return float(value)


def _optional(values: dict[str, Any], name: str) -> float | None:
    return _float(values[name]) if name in values else None


def build_v2(
    doc: Json, spec: StabilitySpec, operation: Operation, images: dict[str, StabilityImage]
) -> StabilityRequest:
    """The typed request of a V2 body that passed steps 10-13."""
    values: dict[str, Any] = {}
    for f in spec.fields:
        value = doc.get(f.name)
        if value is None:
            value = f.default
        if value is None or f.kind is StKind.IMAGE or f.name == "mode":
            continue
        values[f.name] = value
    image_to_image = operation is Operation.IMAGE_TO_IMAGE
    if image_to_image and spec.image_selects and "strength" not in values:
        values["strength"] = ULTRA_STRENGTH_DEFAULT
    if not image_to_image and (spec.image_selects or spec.mode_selects):
        values.pop("strength", None)  # text-to-image ignores it
    aspect = AspectRatio(values["aspect_ratio"]) if "aspect_ratio" in values and not image_to_image else None
    main = images.get("image") or images.get("init_image")
    if operation is Operation.TEXT_TO_IMAGE:
        main = None  # SD3.5 / SD3 with an explicit text-to-image mode ignore an image
    margins = tuple(int(values.get(d, 0)) for d in DIRECTIONS)
    # Fast Upscale and Remove Background take no seed but still draw one: the services' range (D-S9).
    high = spec.by_name["seed"].high if "seed" in spec.by_name else str(SEED_MAX_SERVICES)
    seed_sent = int(values.get("seed", 0))
    request = StabilityRequest(
        model=spec.model,
        operation=operation,
        seed=seed_sent,
        output_format=OutputFormat(values.get("output_format", OutputFormat.PNG.value)),
        output_size=output_size(operation, main, aspect, margins),
        seed_sent=seed_sent,
        prompt=values.get("prompt", ""),
        negative_prompt=values.get("negative_prompt"),
        aspect_ratio=aspect,
        style_preset=StylePreset(values["style_preset"]) if "style_preset" in values else None,
        image=main,
        mask=images.get("mask"),
        style_image=images.get("style_image"),
        left=margins[0],
        right=margins[1],
        up=margins[2],
        down=margins[3],
        search_prompt=values.get("search_prompt"),
        select_prompt=values.get("select_prompt"),
        strength=_optional(values, "strength"),
        creativity=_optional(values, "creativity"),
        grow_mask=_optional(values, "grow_mask"),
        control_strength=_optional(values, "control_strength"),
        fidelity=_optional(values, "fidelity"),
        composition_fidelity=_optional(values, "composition_fidelity"),
        style_strength=_optional(values, "style_strength"),
        change_strength=_optional(values, "change_strength"),
    )
    return _seeded(request, int(high or SEED_MAX_SERVICES))


def build_sdxl(doc: Json, model: StabilityModel, images: dict[str, StabilityImage]) -> StabilityRequest:
    """The typed request of an SDXL body that passed step 10b (docs/CONTRACT.md §S4.7).

    `prompt` / `negative_prompt` join the positive / negative `text_prompts` with a space. Image-to-image
    (`init_image`) keeps the input's size (Project: Stability's v1 image-to-image does).
    """
    prompts = tuple(
        SdxlPrompt(p["text"], float(p.get("weight", 1)) if p.get("weight") is not None else 1.0)
        for p in doc["text_prompts"]
    )
    init = images.get("init_image")
    operation = Operation.IMAGE_TO_IMAGE if init is not None else Operation.TEXT_TO_IMAGE
    params = SdxlParams(
        text_prompts=prompts,
        cfg_scale=_float(doc.get("cfg_scale", SDXL_DEFAULTS["cfg_scale"])),
        steps=int(doc.get("steps", SDXL_DEFAULTS["steps"])),
        sampler=doc.get("sampler"),
        clip_guidance_preset=doc.get("clip_guidance_preset"),
        init_image_mode=doc.get("init_image_mode", "IMAGE_STRENGTH") if init is not None else None,
        image_strength=_float(doc.get("image_strength", SDXL_IMAGE_STRENGTH_DEFAULT))
        if init is not None
        else None,
    )
    if init is not None:
        size = init.size
    else:
        size = ImageSize(int(doc.get("width", 1024)), int(doc.get("height", 1024)))
    negatives = " ".join(p.text for p in prompts if p.weight < 0)
    seed_sent = int(doc.get("seed", 0))
    request = StabilityRequest(
        model=model,
        operation=operation,
        seed=seed_sent,
        output_format=OutputFormat.PNG,
        output_size=size,
        seed_sent=seed_sent,
        prompt=" ".join(p.text for p in prompts if p.weight >= 0),
        negative_prompt=negatives or None,
        style_preset=StylePreset(doc["style_preset"]) if present(doc, "style_preset") else None,
        image=init,
        sdxl=params,
    )
    return _seeded(request, SEED_MAX_LEGACY)
