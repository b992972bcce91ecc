"""Requests as clients send them: model ids, InvokeModel paths, small valid bodies for every task, and the
input images they carry.

Input images are small synthetic PNGs made with Pillow (Nova needs sides of at least 320 px,
docs/CONTRACT.md §5.2) or files of the fixture corpus (fixtures/images).
"""

from __future__ import annotations

import base64
import io
import json
from functools import cache
from typing import Any

from PIL import Image, PngImagePlugin

from tests.support.fixtures import fixture_image_b64

NOVA = "amazon.nova-canvas-v1:0"
TITAN_V1 = "amazon.titan-image-generator-v1"
TITAN_V2 = "amazon.titan-image-generator-v2:0"
MODELS = (NOVA, TITAN_V1, TITAN_V2)
SIZE = 320


def invoke_path(model: str = NOVA) -> str:
    """`/model/<id>/invoke` with the id percent-encoded as botocore sends it."""
    return "/model/" + model.replace(":", "%3A").replace("/", "%2F") + "/invoke"


NOVA_PATH = invoke_path(NOVA)
# The compact bytes of a seedless Nova TEXT_IMAGE request for three 320x320 images of "a cat".
THREE_CATS = (
    b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a cat"},'
    b'"imageGenerationConfig":{"width":320,"height":320,"numberOfImages":3}}'
)


# --- input images ------------------------------------------------------------------------------------------


def _png_b64(image: Image.Image, pnginfo: PngImagePlugin.PngInfo | None = None) -> str:
    buf = io.BytesIO()
    image.save(buf, "PNG", pnginfo=pnginfo)
    return base64.b64encode(buf.getvalue()).decode()


@cache
def gradient_png_b64(width: int = SIZE, height: int = SIZE) -> str:
    """An RGB gradient PNG as base64 (a stand-in photo with no two rows or columns alike)."""
    image = Image.new("RGB", (width, height))
    pixels = [((x * 255) // width, (y * 255) // height, 128) for y in range(height) for x in range(width)]
    image.putdata(pixels)
    return _png_b64(image)


@cache
def half_mask_png_b64(width: int = SIZE, height: int = SIZE) -> str:
    """A mask PNG as base64: black on the left half, white on the right (inpainting edits the black half,
    docs/CONTRACT.md §6)."""
    image = Image.new("RGB", (width, height), (0, 0, 0))
    image.paste((255, 255, 255), (width // 2, 0, width, height))
    return _png_b64(image)


@cache
def solid_png_b64(
    width: int = SIZE,
    height: int = SIZE,
    colour: tuple[int, ...] = (40, 120, 200),
    mode: str = "RGB",
    text_chunk: str | None = None,
) -> str:
    """A one-colour PNG as base64, optionally with a tEXt chunk (to carry a blocking marker)."""
    info = None
    if text_chunk is not None:
        info = PngImagePlugin.PngInfo()
        info.add_text("comment", text_chunk)
    return _png_b64(Image.new(mode, (width, height), colour), info)


def image_size(b64: str) -> tuple[int, int, str]:
    """Width, height and mode of a base64 image."""
    with Image.open(io.BytesIO(base64.b64decode(b64))) as image:
        return image.width, image.height, image.mode


# --- bodies ------------------------------------------------------------------------------------------------


def text_image(seed: int = 7, width: int = SIZE, height: int = SIZE, count: int = 1) -> bytes:
    """A seeded TEXT_IMAGE body as bytes."""
    config = {"width": width, "height": height, "seed": seed, "numberOfImages": count}
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}, "imageGenerationConfig": config}
    return json.dumps(body).encode()


def text_body(text: str = "a lighthouse at dawn", number: int = 1, **extra: Any) -> str:
    """A seedless Nova TEXT_IMAGE body as text, with `extra` textToImageParams (320x320 keeps it fast)."""
    params: dict[str, Any] = {"text": text, **extra}
    config = {"width": SIZE, "height": SIZE, "numberOfImages": number}
    return json.dumps(
        {"taskType": "TEXT_IMAGE", "textToImageParams": params, "imageGenerationConfig": config}
    )


def titan_body(text: str = "a lighthouse at dawn") -> str:
    """A seedless Titan v2 TEXT_IMAGE body as text (512x512)."""
    config = {"width": 512, "height": 512, "numberOfImages": 1}
    return json.dumps(
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": text}, "imageGenerationConfig": config}
    )


def variation_body(image: str, text: str | None = None) -> str:
    """A Nova IMAGE_VARIATION body around one input image, as text."""
    params: dict[str, Any] = {"images": [image]}
    if text is not None:
        params["text"] = text
    config = {"width": SIZE, "height": SIZE, "numberOfImages": 1}
    return json.dumps(
        {"taskType": "IMAGE_VARIATION", "imageVariationParams": params, "imageGenerationConfig": config}
    )


def task_body(task: str, *, seed: int = 7, titan: bool = False) -> dict[str, Any]:
    """A valid body for `task` around the synthetic images, small enough to generate quickly."""
    photo, mask = gradient_png_b64(), half_mask_png_b64()
    editing = task in ("INPAINTING", "OUTPAINTING", "VIRTUAL_TRY_ON")
    size_cfg: dict[str, Any] = {"seed": seed} if editing else {"width": SIZE, "height": SIZE, "seed": seed}
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


def valid_bodies() -> dict[str, dict[str, Any]]:
    """One small valid body per (model, task), keyed `<model>/<task>` (320x320 Nova, 512x512 Titan)."""
    photo, mask = fixture_image_b64("rgb_320x320.png"), fixture_image_b64("mask_320x320.png")
    nova_cfg = {"width": 320, "height": 320, "seed": 7}
    titan_cfg = {"width": 512, "height": 512, "seed": 7}
    edit_cfg = {"seed": 7}
    params: dict[str, tuple[str, dict[str, Any], dict[str, Any] | None]] = {
        "TEXT_IMAGE": (
            "textToImageParams",
            {"text": "a lighthouse at dusk", "negativeText": "fog"},
            nova_cfg,
        ),
        "COLOR_GUIDED_GENERATION": (
            "colorGuidedGenerationParams",
            {"text": "a vase", "colors": ["#FF8800", "#0088ff"]},
            nova_cfg,
        ),
        "IMAGE_VARIATION": ("imageVariationParams", {"images": [photo], "similarityStrength": 0.5}, nova_cfg),
        "INPAINTING": (
            "inPaintingParams",
            {"image": photo, "maskImage": mask, "text": "a red door"},
            edit_cfg,
        ),
        "OUTPAINTING": (
            "outPaintingParams",
            {"image": photo, "maskPrompt": "a house", "text": "a beach"},
            edit_cfg,
        ),
        "BACKGROUND_REMOVAL": ("backgroundRemovalParams", {"image": photo}, None),
        "VIRTUAL_TRY_ON": (
            "virtualTryOnParams",
            {
                "sourceImage": photo,
                "referenceImage": photo,
                "maskType": "GARMENT",
                "garmentBasedMask": {"garmentClass": "UPPER_BODY"},
            },
            edit_cfg,
        ),
    }
    served = {
        NOVA: list(params),
        TITAN_V2: [t for t in params if t != "VIRTUAL_TRY_ON"],
        TITAN_V1: ["TEXT_IMAGE", "IMAGE_VARIATION", "INPAINTING", "OUTPAINTING"],
    }
    bodies = {}
    for model, tasks in served.items():
        for task in tasks:
            key, task_params, config = params[task]
            body: dict[str, Any] = {"taskType": task, key: json.loads(json.dumps(task_params))}
            if config is not None:
                body["imageGenerationConfig"] = dict(
                    titan_cfg if config is nova_cfg and model != NOVA else config
                )
            bodies[f"{model}/{task}"] = body
    return bodies
