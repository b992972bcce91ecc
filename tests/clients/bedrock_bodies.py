"""Request bodies for every task type and response checks, shared by the real-client tests.

Input images are small synthetic PNGs made with Pillow (Nova needs sides of at least 320 px, §5.2).
"""

from __future__ import annotations

import base64
import io
import json
from functools import cache
from typing import Any

from PIL import Image

from validator import validate_request
from validator.response import validate_response

NOVA = "amazon.nova-canvas-v1:0"
TITAN_V1 = "amazon.titan-image-generator-v1"
TITAN_V2 = "amazon.titan-image-generator-v2:0"
SIZE = 320


@cache
def png_b64(width: int = SIZE, height: int = SIZE, kind: str = "photo") -> str:
    """A PNG as base64: `photo` is an RGB gradient, `mask` is black on the left half, white on the right."""
    image = Image.new("RGB", (width, height))
    if kind == "mask":
        image.paste((255, 255, 255), (width // 2, 0, width, height))
    else:
        pixels = [((x * 255) // width, (y * 255) // height, 128) for y in range(height) for x in range(width)]
        image.putdata(pixels)
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def _config(seed: int = 7, **extra: Any) -> dict[str, Any]:
    return {"width": SIZE, "height": SIZE, "seed": seed, **extra}


def task_body(task: str, *, seed: int = 7, titan: bool = False) -> dict[str, Any]:
    """A valid body for `task`, small enough to generate quickly."""
    photo, mask = png_b64(), png_b64(kind="mask")
    size_cfg = {"seed": seed} if task in ("INPAINTING", "OUTPAINTING", "VIRTUAL_TRY_ON") else _config(seed)
    if titan:
        size_cfg = {"seed": seed, "width": 512, "height": 512} if "width" in size_cfg else {"seed": seed}
    bodies: dict[str, dict[str, Any]] = {
        "TEXT_IMAGE": {"textToImageParams": {"text": "a lighthouse at dusk"}},
        "COLOR_GUIDED_GENERATION": {"colorGuidedGenerationParams": {"text": "a vase", "colors": ["#FF8800"]}},
        "IMAGE_VARIATION": {"imageVariationParams": {"images": [photo], "text": "same, in winter"}},
        "INPAINTING": {"inPaintingParams": {"image": photo, "maskImage": mask, "text": "a red door"}},
        "OUTPAINTING": {"outPaintingParams": {"image": photo, "maskImage": mask, "text": "a beach"}},
        "BACKGROUND_REMOVAL": {"backgroundRemovalParams": {"image": photo}},
        "VIRTUAL_TRY_ON": {
            "virtualTryOnParams": {
                "sourceImage": photo,
                "referenceImage": photo,
                "maskType": "GARMENT",
                "garmentBasedMask": {"garmentClass": "UPPER_BODY"},
            }
        },
    }
    body: dict[str, Any] = {"taskType": task, **bodies[task]}
    if task != "BACKGROUND_REMOVAL":
        body["imageGenerationConfig"] = size_cfg
    return body


def text_image(seed: int = 7, width: int = SIZE, height: int = SIZE, count: int = 1) -> bytes:
    """A TEXT_IMAGE body as bytes."""
    config = {"width": width, "height": height, "seed": seed, "numberOfImages": count}
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}, "imageGenerationConfig": config}
    return json.dumps(body).encode()


def check_success(model_id: str, request_body: bytes, response_body: bytes) -> dict[str, Any]:
    """Assert the response is what the contract promises for this request (validator.validate_response)."""
    report = validate_request(request_body, model_id)
    assert report.request is not None, report.error
    verdict = validate_response(response_body, report.request)
    assert verdict.valid, verdict
    parsed: dict[str, Any] = json.loads(response_body)
    return parsed


def image_size(b64: str) -> tuple[int, int, str]:
    """Width, height and mode of a base64 PNG."""
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        return image.width, image.height, image.mode
