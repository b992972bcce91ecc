"""The development photographs (`fixtures/photos/`), their reference masks, and helpers to send them through
boto3."""

from __future__ import annotations

import base64
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
from botocore.config import Config
from PIL import Image

from tests.support.bodies import NOVA
from tests.support.clients import bedrock_client

PHOTOS_DIR = Path(__file__).resolve().parents[2] / "fixtures" / "photos"
# Subjects under this share of the frame are excepted from the per-photo agreement bounds (the rocket).
SMALL_SUBJECT = 0.05
# photo -> a mask prompt naming its subject
SUBJECT_PROMPTS = {
    "astronaut": "the astronaut",
    "chelsea": "the cat",
    "coffee": "the coffee cup",
    "rocket": "the rocket",
    "camera": "the man with the camera",
    "composite_cat_on_brick": "the cat",
    "composite_cup_on_grass": "the cup",
    "composite_astronaut_on_gravel": "the astronaut",
}
PHOTOS = sorted(SUBJECT_PROMPTS)


def photo_bytes(name: str) -> bytes:
    return (PHOTOS_DIR / f"{name}.jpg").read_bytes()


def photo_b64(name: str) -> str:
    return base64.b64encode(photo_bytes(name)).decode("ascii")


def photo_pixels(name: str) -> np.ndarray:
    """The photo as the emulator decodes it (Pillow, RGB)."""
    with Image.open(PHOTOS_DIR / f"{name}.jpg") as image:
        return np.asarray(image.convert("RGB"))


def reference_mask(name: str) -> np.ndarray:
    with Image.open(PHOTOS_DIR / "reference" / f"{name}.png") as image:
        return np.asarray(image.convert("L")) > 127


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return float((a & b).sum() / max(1, (a | b).sum()))


def decode_png(text: str) -> np.ndarray:
    with Image.open(io.BytesIO(base64.b64decode(text))) as image:
        return np.asarray(image)


def client(url: str) -> Any:
    """A boto3 client that waits long enough for a first analysis on a loaded machine."""
    return bedrock_client(url, config=Config(retries={"total_max_attempts": 1}, read_timeout=300))


def invoke(bedrock: Any, body: dict[str, Any], model: str = NOVA) -> dict[str, Any]:
    response = bedrock.invoke_model(modelId=model, body=json.dumps(body))
    return dict(json.loads(response["body"].read()))
