"""Builders for typed requests and synthetic images used by the generator tests and the bench."""

from __future__ import annotations

import base64
import hashlib

import cv2
import numpy as np

from validator.types import (
    BackgroundRemovalParams,
    ImageGenerationConfig,
    ImageSize,
    InPaintingParams,
    InputImage,
    InvokeRequest,
    ModelId,
    OutPaintingParams,
    Quality,
    TaskParams,
    TaskType,
    VirtualTryOnParams,
)

_TASK_OF = {
    "TextToImageParams": TaskType.TEXT_IMAGE,
    "ColorGuidedGenerationParams": TaskType.COLOR_GUIDED_GENERATION,
    "ImageVariationParams": TaskType.IMAGE_VARIATION,
    "InPaintingParams": TaskType.INPAINTING,
    "OutPaintingParams": TaskType.OUTPAINTING,
    "BackgroundRemovalParams": TaskType.BACKGROUND_REMOVAL,
    "VirtualTryOnParams": TaskType.VIRTUAL_TRY_ON,
}
_EDITING = {TaskType.INPAINTING, TaskType.OUTPAINTING, TaskType.BACKGROUND_REMOVAL, TaskType.VIRTUAL_TRY_ON}


def image(pixels: np.ndarray, pointer: str = "#/image") -> InputImage:
    """An InputImage whose base64 is a stand-in derived from the pixels (the generators only hash it)."""
    digest = hashlib.sha256(np.ascontiguousarray(pixels).tobytes()).digest()
    stand_in = base64.b64encode(digest + bytes(str(pixels.shape), "ascii")).decode("ascii")
    return InputImage(pointer=pointer, base64=stand_in, pixels=np.ascontiguousarray(pixels, dtype=np.uint8))


def request(
    params: TaskParams,
    *,
    width: int = 512,
    height: int = 512,
    seed: int = 12,
    count: int = 1,
    cfg_scale: float = 6.5,
    quality: Quality = Quality.STANDARD,
    model: ModelId = ModelId.NOVA_CANVAS,
) -> InvokeRequest:
    """A typed request; editing tasks take their output size from the input image, as the validator does."""
    task = _TASK_OF[type(params).__name__]
    size = ImageSize(width, height)
    if isinstance(params, VirtualTryOnParams):
        size = params.source_image.size
    elif isinstance(params, InPaintingParams | OutPaintingParams | BackgroundRemovalParams):
        size = params.image.size
    if task in _EDITING:
        width, height = 1024, 1024  # sent sizes are ignored on editing tasks; the config holds defaults
    if task is TaskType.BACKGROUND_REMOVAL:
        count = 1
    config = ImageGenerationConfig(width, height, quality, cfg_scale, count, seed)
    return InvokeRequest(model=model, task_type=task, params=params, config=config, output_size=size)


def disc_scene(
    width: int = 512, height: int = 384, *, noise: float = 4.0, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """A light, slightly noisy background with a red disc and a blue box; returns (pixels, foreground)."""
    rng = np.random.default_rng(seed)
    ramp = np.linspace(200, 235, width, dtype=np.float32)[None, :, None]
    base = np.broadcast_to(ramp, (height, width, 3)).copy() + rng.normal(0, noise, (height, width, 3))
    pixels = np.clip(base, 0, 255).astype(np.uint8)
    cv2.circle(pixels, (width // 3, height // 2), min(width, height) // 4, (200, 30, 40), -1)
    cv2.rectangle(pixels, (width * 2 // 3, height // 3), (width * 5 // 6, height * 2 // 3), (30, 60, 190), -1)
    fg = np.zeros((height, width), dtype=np.uint8)
    cv2.circle(fg, (width // 3, height // 2), min(width, height) // 4, 1, -1)
    cv2.rectangle(fg, (width * 2 // 3, height // 3), (width * 5 // 6, height * 2 // 3), 1, -1)
    return pixels, fg.astype(bool)


def person_scene(width: int = 384, height: int = 640) -> np.ndarray:
    """A crude standing figure on a plain wall: head (skin), torso (green), legs (navy), shoes (black)."""
    pixels = np.full((height, width, 3), (225, 228, 232), dtype=np.uint8)
    cx = width // 2
    cv2.circle(pixels, (cx, int(height * 0.1)), int(height * 0.06), (224, 172, 140), -1)
    cv2.rectangle(
        pixels,
        (cx - width // 20, int(height * 0.14)),
        (cx + width // 20, int(height * 0.18)),
        (224, 172, 140),
        -1,
    )
    cv2.rectangle(
        pixels,
        (cx - width // 5, int(height * 0.17)),
        (cx + width // 5, int(height * 0.52)),
        (40, 150, 60),
        -1,
    )
    cv2.rectangle(
        pixels, (cx - width // 6, int(height * 0.52)), (cx + width // 6, int(height * 0.9)), (30, 40, 90), -1
    )
    cv2.rectangle(
        pixels, (cx - width // 6, int(height * 0.9)), (cx + width // 6, int(height * 0.97)), (15, 15, 15), -1
    )
    return pixels


def mask_image(edited: np.ndarray) -> InputImage:
    """A black/white mask InputImage: black where `edited` is True."""
    grey = np.where(edited, 0, 255).astype(np.uint8)
    return image(np.repeat(grey[:, :, None], 3, axis=2), "#/mask")


def edge_overlap(output: np.ndarray, condition_edges: np.ndarray) -> float:
    """Share of the condition image's edges that have an output edge within one pixel (Canny 80/160)."""
    found = cv2.Canny(cv2.cvtColor(output, cv2.COLOR_RGB2GRAY), 80, 160)
    near = cv2.dilate(found, np.ones((3, 3), np.uint8)) > 0
    return float(near[condition_edges].mean())
