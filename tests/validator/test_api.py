"""Entry points and the typed, defaulted request (docs/CONTRACT.md §2.4, §4, §8.1)."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import Any

import pytest

from validator import (
    ModelId,
    TaskType,
    is_valid_request,
    iter_request_errors,
    validate_body,
    validate_request,
)
from validator.messages import BODY_TOO_LARGE, INVALID_CONTENT_TYPE, INVALID_MODEL_ID, MALFORMED
from validator.types import (
    ControlMode,
    ImageVariationParams,
    InvokeRequest,
    MaskShape,
    MergeStyle,
    OuterLayerStyle,
    OutPaintingMode,
    OutPaintingParams,
    Quality,
    TextToImageParams,
    VirtualTryOnParams,
)

NOVA, T1, T2 = (m.value for m in ModelId)
TEXT = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}}


def _all_fields_set(obj: object) -> None:
    """Every dataclass field is present, recursively (the builder bypasses __init__)."""
    if dataclasses.is_dataclass(obj):
        for f in dataclasses.fields(obj):
            _all_fields_set(getattr(obj, f.name))


@pytest.mark.parametrize(("model", "cfg", "seed"), [(NOVA, 6.5, 12), (T1, 8.0, 42), (T2, 8.0, 42)])
def test_config_defaults(model: str, cfg: float, seed: int) -> None:
    request = validate_request(TEXT, model).request
    assert isinstance(request, InvokeRequest)
    _all_fields_set(request)
    c = request.config
    assert (c.width, c.height, c.quality, c.cfg_scale, c.number_of_images, c.seed) == (
        1024,
        1024,
        Quality.STANDARD,
        cfg,
        1,
        seed,
    )
    assert request.model is ModelId(model) and request.task_type is TaskType.TEXT_IMAGE
    assert str(request.output_size) == "1024x1024" and not request.returns_mask


def test_control_defaults_only_with_condition_image(b64: Callable[[str], str]) -> None:
    plain = validate_request(TEXT).request
    assert isinstance(plain, InvokeRequest) and isinstance(plain.params, TextToImageParams)
    assert plain.params.control_mode is None and plain.params.control_strength is None
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "x", "conditionImage": b64("condition_512x512.png")},
    }
    request = validate_request(body).request
    assert isinstance(request, InvokeRequest) and isinstance(request.params, TextToImageParams)
    assert request.params.control_mode is ControlMode.CANNY_EDGE and request.params.control_strength == 0.7


def test_sent_values_are_typed(b64: Callable[[str], str]) -> None:
    body = {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {
            "images": [b64("rgb_512x512.png"), b64("rgb_320x320.png")],
            "similarityStrength": 0.25,
        },
        "imageGenerationConfig": {
            "width": 1280,
            "height": 720,
            "cfgScale": 9,
            "quality": "premium",
            "seed": 3,
        },
    }
    request = validate_request(json.dumps(body)).request
    assert isinstance(request, InvokeRequest) and isinstance(request.params, ImageVariationParams)
    assert request.params.similarity_strength == 0.25 and len(request.params.images) == 2
    assert request.config.cfg_scale == 9.0 and isinstance(request.config.cfg_scale, float)
    assert request.config.quality is Quality.PREMIUM and str(request.output_size) == "1280x720"


def test_outpainting_and_titan_return_mask(b64: Callable[[str], str]) -> None:
    body = {
        "taskType": "OUTPAINTING",
        "outPaintingParams": {
            "image": b64("rgb_512x512.png"),
            "maskPrompt": "dog",
            "text": "beach",
            "returnMask": True,
        },
    }
    request = validate_request(body, T2).request
    assert isinstance(request, InvokeRequest) and isinstance(request.params, OutPaintingParams)
    assert request.params.out_painting_mode is OutPaintingMode.DEFAULT and request.returns_mask


def test_vto_defaults(b64: Callable[[str], str]) -> None:
    image = b64("rgb_512x512.png")
    body: dict[str, Any] = {
        "taskType": "VIRTUAL_TRY_ON",
        "virtualTryOnParams": {
            "sourceImage": image,
            "referenceImage": image,
            "maskType": "GARMENT",
            "garmentBasedMask": {"garmentClass": "UPPER_BODY"},
        },
    }
    request = validate_request(body).request
    assert isinstance(request, InvokeRequest) and isinstance(request.params, VirtualTryOnParams)
    _all_fields_set(request)
    garment = request.params.garment_based_mask
    assert garment is not None and garment.mask_shape is MaskShape.DEFAULT
    assert garment.garment_styling.outer_layer_style is OuterLayerStyle.CLOSED
    assert request.params.merge_style is MergeStyle.BALANCED and not request.returns_mask
    body["virtualTryOnParams"] |= {
        "maskType": "PROMPT",
        "promptBasedMask": {"maskPrompt": "shirt"},
        "returnMask": True,
    }
    del body["virtualTryOnParams"]["garmentBasedMask"]
    request = validate_request(body).request
    assert isinstance(request, InvokeRequest) and isinstance(request.params, VirtualTryOnParams)
    assert request.params.prompt_based_mask is not None
    assert request.params.prompt_based_mask.mask_shape is MaskShape.BOUNDING_BOX and request.returns_mask


def test_processing_order() -> None:
    big = b"{" + b" " * 25_000_000 + b"}"
    assert validate_request(big, "nope", headers={"Content-Type": "x"}).error.message == BODY_TOO_LARGE  # type: ignore[union-attr]
    assert validate_request(b"x", "nope", headers={"Content-Type": "x"}).error.message == INVALID_MODEL_ID  # type: ignore[union-attr]
    assert validate_request(b"x", NOVA, headers={"Content-Type": "x"}).error.message == INVALID_CONTENT_TYPE  # type: ignore[union-attr]
    assert validate_request(b"x", NOVA).error.message == MALFORMED  # type: ignore[union-attr]


def test_report_model_and_errors() -> None:
    report = validate_request(TEXT, "us.amazon.nova-canvas-v1:0")
    assert report.model is ModelId.NOVA_CANVAS and report.errors == () and report.valid
    assert validate_request(TEXT, "bad").model is None


@pytest.mark.parametrize(
    "body", [TEXT, {"taskType": "X"}, b"nope", {**TEXT, "imageGenerationConfig": {"width": 1000}}]
)
def test_entry_points_agree(body: Any) -> None:
    report = validate_request(body)
    assert is_valid_request(body) is report.valid
    assert tuple(iter_request_errors(body)) == report.errors


def test_validate_body_rejects_unserved_model() -> None:
    report = validate_body(TEXT, "amazon.nova-lite-v1:0")
    assert report.error is not None and report.error.message == INVALID_MODEL_ID
    assert validate_body(TEXT, ModelId.TITAN_V1).valid
    assert validate_body(TEXT, [1]).error is not None  # type: ignore[arg-type]


def test_titan_v1_rejects_v2_tasks() -> None:
    report = validate_request(
        {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": "x"}}, T1
    )
    assert report.error is not None and "BACKGROUND_REMOVAL is not a valid enum value" in report.error.message
