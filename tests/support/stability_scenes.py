"""Builders for the Stability generator tests: typed requests, and input images encoded and
decoded the way the validator does (Pillow), so the generators see real decoded pictures."""

from __future__ import annotations

import base64
import io
from typing import Any

import numpy as np
from PIL import Image

from validator.stability.models import STABILITY_MODELS, Operation, StabilityModel
from validator.stability.types import OutputFormat, StabilityImage, StabilityRequest
from validator.types import ImageSize

# The operation each service model does; the generators take both t2i and i2i.
SERVICE_OF: dict[Operation, StabilityModel] = {
    info.operations[0]: info.model
    for info in STABILITY_MODELS.values()
    if len(info.operations) == 1
    and info.model is not StabilityModel.CORE
    and info.model is not StabilityModel.CORE_V1_0
}
# Project sizes per aspect ratio (docs/CONTRACT.md §S3.5, D-S8)
ASPECT_SIZES = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "21:9": (1536, 640),
    "2:3": (832, 1216),
    "3:2": (1216, 832),
    "4:5": (896, 1088),
    "5:4": (1088, 896),
    "9:16": (768, 1344),
    "9:21": (640, 1536),
}


def stability_image(
    pixels: np.ndarray, pointer: str = "#/image", alpha: np.ndarray | None = None
) -> StabilityImage:
    """`pixels` (and `alpha`) encoded as PNG, base64'd, and decoded back with Pillow."""
    array = np.ascontiguousarray(pixels, dtype=np.uint8)
    if alpha is not None:
        array = np.dstack([array, alpha.astype(np.uint8)])
    out = io.BytesIO()
    Image.fromarray(array).save(out, format="PNG")
    data = out.getvalue()
    with Image.open(io.BytesIO(data)) as decoded:
        rgba = decoded.mode == "RGBA"
        rgb = np.asarray(decoded.convert("RGB"))
        decoded_alpha = np.asarray(decoded.getchannel("A")) if rgba else None
    return StabilityImage(
        pointer=pointer,
        base64=base64.b64encode(data).decode("ascii"),
        format=OutputFormat.PNG,
        pixels=rgb,
        alpha=decoded_alpha,
    )


def grey_mask(levels: np.ndarray) -> StabilityImage:
    """A mask image whose grey level (RGB, equal channels) is `levels`."""
    return stability_image(np.repeat(levels.astype(np.uint8)[:, :, None], 3, axis=2), "#/mask")


def stability_request(
    operation: Operation,
    *,
    model: StabilityModel | None = None,
    size: tuple[int, int] | None = None,
    seed: int = 7,
    output_format: OutputFormat = OutputFormat.PNG,
    **fields: Any,
) -> StabilityRequest:
    """A typed request; services get the input's size (or the outpainted size) as the validator gives them."""
    if model is None:
        model = SERVICE_OF.get(operation, StabilityModel.ULTRA)
    image = fields.get("image")
    if size is None:
        if operation is Operation.OUTPAINT and image is not None:
            w, h = image.size.width, image.size.height
            size = (
                w + fields.get("left", 0) + fields.get("right", 0),
                h + fields.get("up", 0) + fields.get("down", 0),
            )
        elif operation is Operation.FAST_UPSCALE and image is not None:
            size = (4 * image.size.width, 4 * image.size.height)
        elif image is not None:
            size = (image.size.width, image.size.height)
        else:
            size = (1024, 1024)
    return StabilityRequest(
        model=model,
        operation=operation,
        seed=seed,
        output_format=output_format,
        output_size=ImageSize(*size),
        seed_sent=fields.pop("seed_sent", seed),
        **fields,
    )


def decode(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as image:
        return np.asarray(image)
