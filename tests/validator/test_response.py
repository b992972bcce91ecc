"""validate_response (docs/CONTRACT.md §2.7, §8.3, D10-D12)."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import Callable
from typing import Any

import pytest
from PIL import Image

from validator import InvokeRequest, validate_request, validate_response
from validator.messages import ALL_IMAGES_BLOCKED, SOME_IMAGES_BLOCKED


def png(mode: str, size: tuple[int, int], colour: Any = 0, **options: Any) -> str:
    out = io.BytesIO()
    Image.new(mode, size, colour).save(out, "PNG", **options)
    return base64.b64encode(out.getvalue()).decode()


def request(body: dict[str, Any], model: str = "amazon.nova-canvas-v1:0") -> InvokeRequest:
    report = validate_request(body, model)
    assert isinstance(report.request, InvokeRequest), report.error
    return report.request


TEXT = request(
    {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "x"},
        "imageGenerationConfig": {"numberOfImages": 3, "width": 512, "height": 384},
    }
)
RGB = png("RGB", (512, 384))


def keywords(body: Any, req: InvokeRequest = TEXT) -> list[str]:
    raw = json.dumps(body, separators=(",", ":")) if isinstance(body, dict) else body
    return [e.keyword for e in validate_response(raw, req).errors]


def test_valid_response() -> None:
    report = validate_response(json.dumps({"images": [RGB] * 3}), TEXT)
    assert report.valid and report.errors == ()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"images": [RGB] * 2}, ["count"]),
        ({"images": [RGB] * 2, "error": SOME_IMAGES_BLOCKED}, []),
        ({"images": [RGB] * 3, "error": SOME_IMAGES_BLOCKED}, ["count"]),
        ({"images": [], "error": SOME_IMAGES_BLOCKED}, ["count"]),
        ({"images": [], "error": ALL_IMAGES_BLOCKED}, []),
        ({"images": [RGB], "error": ALL_IMAGES_BLOCKED}, ["count"]),
        ({"images": [RGB] * 3, "error": None}, ["error"]),
        ({"images": [RGB] * 3, "error": "blocked"}, ["error"]),
        ({"images": [RGB] * 3, "extra": 1}, ["additionalProperties"]),
        ({"error": ALL_IMAGES_BLOCKED}, ["images"]),
        ({"images": [RGB] * 3, "maskImage": RGB}, ["maskImage"]),
        ({"images": [RGB, RGB, "data:image/png;base64," + RGB]}, ["base64"]),
        ({"images": [RGB, RGB, RGB[:76] + "\n" + RGB[76:]]}, ["base64"]),
        ({"images": [RGB, RGB, RGB.rstrip("=")]}, ["base64"]),
        ({"images": [RGB, RGB, png("RGB", (384, 512))]}, ["size"]),
        ({"images": [RGB, RGB, png("RGBA", (512, 384))]}, ["mode"]),
        ({"images": [RGB, RGB, png("L", (512, 384))]}, ["mode"]),
        ({"images": [RGB, RGB, png("P", (512, 384))]}, ["mode"]),
        ({"images": [RGB, RGB, png("I;16", (512, 384))]}, ["mode"]),
        ({"images": [RGB, RGB, 5]}, ["type"]),
        ({"images": [RGB, RGB, base64.b64encode(base64.b64decode(RGB)[:-30]).decode()]}, ["png"]),
    ],
)
def test_response_problems(body: dict[str, Any], expected: list[str]) -> None:
    assert keywords(body) == expected


def test_interlaced_png_is_fine() -> None:
    assert keywords({"images": [png("RGB", (512, 384), interlace=1)] * 3}) == []


def test_jpeg_is_not_png() -> None:
    out = io.BytesIO()
    Image.new("RGB", (512, 384)).save(out, "JPEG")
    jpeg = base64.b64encode(out.getvalue()).decode()
    assert keywords({"images": [RGB, RGB, jpeg]}) == ["png"]


def test_corrupt_crc_is_caught() -> None:
    data = bytearray(base64.b64decode(RGB))
    data[40] ^= 0xFF
    assert keywords({"images": [RGB, RGB, base64.b64encode(bytes(data)).decode()]}) == ["png"]


def test_not_json_or_not_object() -> None:
    for body in ("", "[]", "nope", '{"images": [], "images": []}'):
        assert keywords(body) == ["json"]


def test_background_removal_wants_one_rgba(b64: Callable[[str], str]) -> None:
    req = request(
        {
            "taskType": "BACKGROUND_REMOVAL",
            "backgroundRemovalParams": {"image": b64("rgb_1024x768.png")},
            "imageGenerationConfig": {"numberOfImages": 3},
        }
    )
    rgba = png("RGBA", (1024, 768))
    assert keywords({"images": [rgba]}, req) == []
    assert keywords({"images": [png("RGB", (1024, 768))]}, req) == ["mode"]
    assert keywords({"images": [rgba, rgba]}, req) == ["count"]


def test_mask_image_when_return_mask(b64: Callable[[str], str]) -> None:
    req = request(
        {
            "taskType": "INPAINTING",
            "inPaintingParams": {"image": b64("rgb_1024x768.png"), "maskPrompt": "sun", "returnMask": True},
        },
        "amazon.titan-image-generator-v2:0",
    )
    assert req.returns_mask
    img, mask = png("RGB", (1024, 768)), png("L", (1024, 768), 255)
    assert keywords({"images": [img], "maskImage": mask}, req) == []
    assert keywords({"images": [], "maskImage": mask, "error": ALL_IMAGES_BLOCKED}, req) == []
    assert keywords({"images": [img]}, req) == ["maskImage"]
    assert keywords({"images": [img], "maskImage": png("RGB", (1024, 768), (9, 9, 9))}, req) == ["colors"]
    assert keywords({"images": [img], "maskImage": png("RGB", (512, 512), 255)}, req) == ["size"]


def test_parsed_object_input() -> None:
    assert validate_response({"images": [RGB] * 3}, TEXT).valid
