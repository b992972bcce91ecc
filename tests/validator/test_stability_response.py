"""validate_response for Stability requests (docs/CONTRACT.md §S3, D-S5-D-S7)."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import pytest
from PIL import Image

from validator import validate_request, validate_response
from validator.stability.types import StabilityRequest
from validator.strategies import encoded_image


def _request(body: dict[str, Any], model: str) -> StabilityRequest:
    request = validate_request(json.dumps(body), model).request
    assert isinstance(request, StabilityRequest)
    return request


def _encoded(size: tuple[int, int], fmt: str, mode: str = "RGB") -> str:
    out = io.BytesIO()
    Image.new(mode, size).save(out, fmt)
    return base64.b64encode(out.getvalue()).decode()


def _problems(body: object, request: StabilityRequest) -> list[tuple[str, str]]:
    return [(e.pointer, e.keyword) for e in validate_response(body, request).errors]


@pytest.mark.parametrize(("fmt", "pil"), [("png", "PNG"), ("jpeg", "JPEG"), ("webp", "WEBP")])
def test_v2_success(fmt: str, pil: str) -> None:
    request = _request(
        {"prompt": "x", "output_format": fmt, "aspect_ratio": "16:9"}, "stability.sd3-5-large-v1:0"
    )
    body = {"seeds": [request.seed], "finish_reasons": [None], "images": [_encoded((1344, 768), pil)]}
    assert _problems(json.dumps(body, separators=(",", ":")), request) == []


def test_v2_success_mistakes() -> None:
    request = _request({"prompt": "x", "seed": 7}, "stability.stable-image-core-v1:1")
    good = _encoded((1024, 1024), "PNG")
    assert _problems({"images": [good], "seeds": [7], "finish_reasons": [None]}, request) == [("#", "keys")]
    assert _problems({"seeds": ["7"], "finish_reasons": [None], "images": [good]}, request) == [
        ("#/seeds/0", "seed")
    ]
    assert _problems({"seeds": [8], "finish_reasons": [None], "images": [good]}, request) == [
        ("#/seeds/0", "seed")
    ]
    assert _problems({"seeds": [7, 7], "finish_reasons": [None], "images": [good]}, request) == [
        ("#/seeds", "count")
    ]
    assert _problems({"seeds": [7], "finish_reasons": ["x"], "images": [good]}, request) == [
        ("#/finish_reasons/0", "finish_reasons")
    ]
    wrong_size = _encoded((512, 512), "PNG")
    assert _problems({"seeds": [7], "finish_reasons": [None], "images": [wrong_size]}, request) == [
        ("#/images/0", "size")
    ]
    jpeg = _encoded((1024, 1024), "JPEG")
    assert _problems({"seeds": [7], "finish_reasons": [None], "images": [jpeg]}, request) == [
        ("#/images/0", "format")
    ]
    prefixed = "data:image/png;base64," + good
    assert _problems({"seeds": [7], "finish_reasons": [None], "images": [prefixed]}, request) == [
        ("#/images/0", "base64")
    ]
    truncated = base64.b64encode(base64.b64decode(good)[:-30]).decode()
    assert _problems({"seeds": [7], "finish_reasons": [None], "images": [truncated]}, request) == [
        ("#/images/0", "decode")
    ]


def test_remove_background_needs_alpha() -> None:
    request = _request(
        {"image": encoded_image("png", 96, 80)}, "us.stability.stable-image-remove-background-v1:0"
    )
    rgba = _encoded((96, 80), "PNG", "RGBA")
    assert _problems({"seeds": [request.seed], "finish_reasons": [None], "images": [rgba]}, request) == []
    rgb = _encoded((96, 80), "PNG")
    assert _problems({"seeds": [request.seed], "finish_reasons": [None], "images": [rgb]}, request) == [
        ("#/images/0", "mode")
    ]


@pytest.mark.parametrize(
    "reason",
    ["Filter reason: prompt", "Filter reason: output image", "Filter reason: input image", "Inference error"],
)
def test_filtered(reason: str) -> None:
    request = _request({"prompt": "x"}, "stability.sd3-5-large-v1:0")
    assert _problems(json.dumps({"finish_reasons": [reason]}), request) == []


def test_filtered_mistakes() -> None:
    request = _request({"prompt": "x"}, "stability.sd3-5-large-v1:0")
    assert _problems({"finish_reasons": ["blocked"]}, request) == [("#/finish_reasons/0", "finish_reasons")]
    assert _problems({"finish_reasons": ["Filter reason: prompt"], "images": [""]}, request) == [
        ("#", "keys")
    ]
    assert _problems(b"[]", request) == [("#", "json")]


def test_sdxl_artifacts() -> None:
    request = _request({"text_prompts": [{"text": "x"}], "seed": 3}, "stability.stable-diffusion-xl-v1")
    artifact = {"seed": 3, "base64": _encoded((1024, 1024), "PNG"), "finishReason": "SUCCESS"}
    assert _problems({"result": "success", "artifacts": [artifact]}, request) == []
    filtered = artifact | {"finishReason": "CONTENT_FILTERED"}
    assert _problems({"result": "success", "artifacts": [filtered]}, request) == []
    assert _problems(
        {"result": "success", "artifacts": [artifact | {"finishedReason": "SUCCESS"}]}, request
    ) == [("#/artifacts/0", "keys")]
    assert _problems({"result": "error", "artifacts": [artifact | {"seed": 4}]}, request) == [
        ("#/result", "result"),
        ("#/artifacts/0/seed", "seed"),
    ]
    assert _problems({"result": "success", "artifacts": []}, request) == [("#/artifacts", "count")]


def test_sdxl_error_artifact_may_carry_no_picture() -> None:
    request = _request({"text_prompts": [{"text": "x"}], "seed": 3}, "stability.stable-diffusion-xl-v1")
    failed = {"seed": 3, "base64": "", "finishReason": "ERROR"}
    assert _problems({"result": "success", "artifacts": [failed]}, request) == []
    empty_success = failed | {"finishReason": "SUCCESS"}
    assert _problems({"result": "success", "artifacts": [empty_success]}, request) != []
