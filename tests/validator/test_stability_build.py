"""The typed StabilityRequest: defaults (docs/CONTRACT.md §S5.1), output sizes (§S3.5, D-S8) and the
derived seed (§S5.2, D-S15)."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from validator import validate_request
from validator.stability.build import derived_seed, one_megapixel, request_digest, upscaled_4k
from validator.stability.models import Operation
from validator.stability.spec import ASPECT_SIZES
from validator.stability.types import OutputFormat, StabilityRequest
from validator.strategies import encoded_image
from validator.types import ImageSize

IMG = encoded_image("png", 96, 80)


def _request(body: dict[str, Any], model: str) -> StabilityRequest:
    report = validate_request(json.dumps(body), model)
    assert report.error is None, report.error
    assert isinstance(report.request, StabilityRequest)
    return report.request


@pytest.mark.parametrize(
    ("aspect", "size"),
    [
        ("1:1", (1024, 1024)),
        ("16:9", (1344, 768)),
        ("21:9", (1536, 640)),
        ("2:3", (832, 1216)),
        ("3:2", (1216, 832)),
        ("4:5", (896, 1088)),
        ("5:4", (1088, 896)),
        ("9:16", (768, 1344)),
        ("9:21", (640, 1536)),
    ],
)
@pytest.mark.parametrize(
    "model",
    ["stability.stable-image-ultra-v1:1", "stability.sd3-5-large-v1:0", "stability.stable-image-core-v1:1"],
)
def test_text_to_image_sizes(model: str, aspect: str, size: tuple[int, int]) -> None:
    assert _request({"prompt": "x", "aspect_ratio": aspect}, model).output_size == ImageSize(*size)


def test_aspect_table_is_about_one_megapixel_inside_the_documented_range() -> None:
    for size in ASPECT_SIZES.values():
        assert 640 <= size.width <= 1536 and 640 <= size.height <= 1536
        assert abs(size.width * size.height - 1_048_576) / 1_048_576 < 0.08


def test_style_guide_uses_the_aspect_table() -> None:
    body = {"image": IMG, "prompt": "x", "aspect_ratio": "21:9"}
    assert _request(body, "us.stability.stable-image-style-guide-v1:0").output_size == ImageSize(1536, 640)


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((96, 80), (1152, 960)),
        ((1024, 1024), (1024, 1024)),
        ((64, 160), (640, 1536)),
        ((3000, 2000), (1280, 832)),
    ],
)
def test_one_megapixel_rule(size: tuple[int, int], expected: tuple[int, int]) -> None:
    result = one_megapixel(ImageSize(*size))
    assert result == ImageSize(*expected)
    assert result.width % 64 == 0 and result.height % 64 == 0


def test_image_to_image_and_control_outputs_follow_the_input() -> None:
    i2i = _request({"prompt": "x", "image": IMG, "strength": 0.5}, "stability.sd3-5-large-v1:0")
    assert i2i.output_size == ImageSize(1152, 960)
    sketch = _request({"image": IMG, "prompt": "x"}, "us.stability.stable-image-control-sketch-v1:0")
    assert sketch.output_size == ImageSize(1152, 960)
    transfer = _request(
        {"init_image": IMG, "style_image": encoded_image("jpeg", 64, 64)},
        "us.stability.stable-style-transfer-v1:0",
    )
    assert transfer.output_size == ImageSize(1152, 960)
    assert transfer.image is not None and transfer.image.pointer == "#/init_image"
    assert transfer.style_image is not None and transfer.style_image.pointer == "#/style_image"


@pytest.mark.parametrize(
    "model",
    [
        "us.stability.stable-image-inpaint-v1:0",
        "us.stability.stable-image-search-replace-v1:0",
        "us.stability.stable-image-search-recolor-v1:0",
    ],
)
def test_edits_keep_the_input_size(model: str) -> None:
    body = {"image": IMG, "prompt": "x", "search_prompt": "y", "select_prompt": "z"}
    spec_keys = {"inpaint": ("image", "prompt"), "replace": ("image", "prompt", "search_prompt")}
    keys = (
        spec_keys["inpaint"]
        if "inpaint" in model
        else ("image", "prompt", "search_prompt" if "replace" in model else "select_prompt")
    )
    assert _request({k: body[k] for k in keys}, model).output_size == ImageSize(96, 80)


def test_erase_and_remove_background_keep_the_input_size() -> None:
    assert _request({"image": IMG}, "us.stability.stable-image-erase-object-v1:0").output_size == ImageSize(
        96, 80
    )
    assert _request(
        {"image": IMG}, "us.stability.stable-image-remove-background-v1:0"
    ).output_size == ImageSize(96, 80)


def test_outpaint_grows_by_the_margins() -> None:
    request = _request(
        {"image": IMG, "left": 512, "right": 512, "up": 200, "down": 100}, "us.stability.stable-outpaint-v1:0"
    )
    assert request.output_size == ImageSize(96 + 1024, 80 + 300)
    assert (request.left, request.right, request.up, request.down) == (512, 512, 200, 100)
    assert request.creativity == 0.5


def test_upscalers() -> None:
    fast = _request({"image": IMG}, "us.stability.stable-fast-upscale-v1:0")
    assert fast.output_size == ImageSize(384, 320)
    assert fast.seed_sent == 0 and 1 <= fast.seed <= 4_294_967_294  # no seed field, but one is drawn
    creative = _request({"image": IMG, "prompt": "x"}, "us.stability.stable-creative-upscale-v1:0")
    assert creative.output_size == ImageSize(4096, 3413)
    assert creative.creativity == 0.3
    assert upscaled_4k(ImageSize(80, 96)) == ImageSize(3413, 4096)
    conservative = _request({"image": IMG, "prompt": "x"}, "us.stability.stable-conservative-upscale-v1:0")
    assert conservative.creativity == 0.35


def test_sdxl_sizes_and_defaults() -> None:
    request = _request(
        {"text_prompts": [{"text": "a"}, {"text": "b", "weight": -0.5}]}, "stability.stable-diffusion-xl-v1"
    )
    assert request.output_size == ImageSize(1024, 1024)
    assert request.output_format is OutputFormat.PNG
    assert request.prompt == "a" and request.negative_prompt == "b"
    assert request.sdxl is not None
    assert (request.sdxl.cfg_scale, request.sdxl.steps) == (7.0, 30)
    i2i = _request({"text_prompts": [{"text": "a"}], "init_image": IMG}, "stability.stable-diffusion-xl-v1")
    assert i2i.operation is Operation.IMAGE_TO_IMAGE
    assert i2i.output_size == ImageSize(96, 80)
    assert i2i.sdxl is not None and i2i.sdxl.image_strength == 0.35


def test_service_defaults() -> None:
    inpaint = _request({"image": IMG, "prompt": "x"}, "us.stability.stable-image-inpaint-v1:0")
    assert (inpaint.grow_mask, inpaint.output_format) == (5.0, OutputFormat.PNG)
    sketch = _request({"image": IMG, "prompt": "x"}, "us.stability.stable-image-control-structure-v1:0")
    assert sketch.control_strength == 0.7
    guide = _request({"image": IMG, "prompt": "x"}, "us.stability.stable-image-style-guide-v1:0")
    assert guide.fidelity == 0.5
    transfer = _request({"init_image": IMG, "style_image": IMG}, "us.stability.stable-style-transfer-v1:0")
    assert (transfer.composition_fidelity, transfer.style_strength, transfer.change_strength) == (
        0.9,
        1.0,
        0.9,
    )


# ---- seeds (D-S15) ----


def test_sent_seed_is_used() -> None:
    request = _request({"prompt": "x", "seed": 42}, "stability.stable-image-core-v1:1")
    assert (request.seed, request.seed_sent) == (42, 42)


def test_derived_seed_is_deterministic_and_ignores_seed_zero_vs_absent() -> None:
    a = _request({"prompt": "a lighthouse"}, "stability.stable-image-ultra-v1:1")
    b = _request({"seed": 0, "prompt": "a lighthouse"}, "stability.stable-image-ultra-v1:1")
    c = _request(
        {"prompt": "a lighthouse", "output_format": "png", "aspect_ratio": "1:1"},
        "stability.stable-image-ultra-v1:1",
    )
    assert a.seed == b.seed == c.seed != 0
    assert a.seed_sent == 0
    other = _request({"prompt": "a lighthouse."}, "stability.stable-image-ultra-v1:1")
    assert other.seed != a.seed
    # Re-sending the seed used gives the same request, apart from `seed_sent`.
    again = _request({"prompt": "a lighthouse", "seed": a.seed}, "stability.stable-image-ultra-v1:1")
    assert dataclasses.replace(again, seed_sent=0) == a
    assert request_digest(again) == request_digest(a)


def test_derived_seed_range_per_model() -> None:
    base = _request({"prompt": "x"}, "stability.sd3-5-large-v1:0")
    seeds = {derived_seed(dataclasses.replace(base, prompt=str(i)), 3) for i in range(200)}
    assert seeds == {1, 2, 3}
    for i in range(50):
        request = _request({"prompt": str(i)}, "stability.sd3-5-large-v1:0")
        assert 1 <= request.seed <= 4_294_967_294
        service = _request({"image": IMG, "seed": 0}, "us.stability.stable-image-erase-object-v1:0")
        assert 1 <= service.seed <= 4_294_967_294


def test_derived_seed_depends_on_the_model_and_images() -> None:
    a = _request({"prompt": "x"}, "stability.stable-image-ultra-v1:1")
    b = _request({"prompt": "x"}, "stability.stable-image-ultra-v1:0")
    assert a.seed != b.seed
    c = _request({"image": IMG}, "us.stability.stable-image-erase-object-v1:0")
    d = _request({"image": encoded_image("jpeg", 96, 80)}, "us.stability.stable-image-erase-object-v1:0")
    assert c.seed != d.seed
