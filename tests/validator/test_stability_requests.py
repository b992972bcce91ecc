"""Stability AI request checks in the order of docs/CONTRACT.md §S6.2, through `validate_request`: the §S8
cases, every ST-* rule and the project's choices where the contract is silent."""

from __future__ import annotations

import json
from typing import Any

import pytest

from validator import BedrockError, validate_request
from validator.messages import MALFORMED
from validator.stability.messages import text
from validator.stability.models import Operation, StabilityModel
from validator.stability.types import AspectRatio, OutputFormat, StylePreset
from validator.strategies import encoded_image
from validator.types import ImageSize

ULTRA = "stability.stable-image-ultra-v1:1"
CORE = "stability.stable-image-core-v1:1"
SD35 = "stability.sd3-5-large-v1:0"
SD3 = "stability.sd3-large-v1:0"
SDXL = "stability.stable-diffusion-xl-v1"
INPAINT = "us.stability.stable-image-inpaint-v1:0"
OUTPAINT = "us.stability.stable-outpaint-v1:0"
ERASE = "us.stability.stable-image-erase-object-v1:0"
REMOVE_BG = "us.stability.stable-image-remove-background-v1:0"
FAST = "us.stability.stable-fast-upscale-v1:0"
CREATIVE = "us.stability.stable-creative-upscale-v1:0"
TRANSFER = "us.stability.stable-style-transfer-v1:0"
SKETCH = "us.stability.stable-image-control-sketch-v1:0"
R1 = "Malformed input request: #: required key [prompt] not found, please reformat your input and try again."
IMG = encoded_image("png", 96, 80)
MASK = encoded_image("mask-png-grey", 96, 80)


def _detail(code: str, **parts: object) -> str:
    return json.dumps({"detail": text(code, **parts)}, separators=(",", ":"), ensure_ascii=False)


def _error(body: Any, model: str) -> str:
    raw = body if isinstance(body, str | bytes) else json.dumps(body)
    report = validate_request(raw, model)
    assert report.error is not None, report
    assert (report.error.exception, report.error.status) == ("ValidationException", 400)
    return report.error.message


def _ok(body: Any, model: str) -> Any:
    report = validate_request(json.dumps(body), model)
    assert report.error is None, report.error
    assert report.request is not None
    return report.request


# ---- docs/CONTRACT.md §S8 ----


def test_t1_ultra_prompt_only() -> None:
    request = _ok({"prompt": "x"}, ULTRA)
    assert request.model is StabilityModel.ULTRA
    assert request.operation is Operation.TEXT_TO_IMAGE
    assert request.output_size == ImageSize(1024, 1024)
    assert request.output_format is OutputFormat.PNG
    assert request.aspect_ratio is AspectRatio.R1_1


def test_t3_ultra_with_a_leaked_kwarg_gets_r3() -> None:
    assert _error({"prompt": "x", "aws_region_name": "us-west-2"}, ULTRA) == (
        '{"detail":"Invalid field \'aws_region_name\' in request. Available fields for ultra are: prompt, '
        'negative_prompt, mode, strength, seed, output_format, image, aspect_ratio"}'
    )


def test_t4_ultra_sdxl_shaped_body_gets_r1() -> None:
    assert _error({"text_prompts": [{"text": "x"}]}, ULTRA) == R1


def test_t7_sd35_doc_sample_without_mode_is_image_to_image() -> None:
    request = _ok({"prompt": "x", "image": IMG, "strength": 0.7}, SD35)
    assert request.operation is Operation.IMAGE_TO_IMAGE
    assert request.strength == 0.7
    assert request.image is not None and request.image.size == ImageSize(96, 80)


def test_t8_erase_doc_sample_with_image_in_an_array_is_st_type() -> None:
    assert _error({"image": [IMG], "mask": MASK}, ERASE) == _detail("ST-TYPE", key="image", expected="string")


def test_t9_outpaint_without_a_direction() -> None:
    assert _error({"image": IMG, "left": 0}, OUTPAINT) == _detail("ST-OUTPAINT-ZERO")
    assert _ok({"image": IMG, "down": 1}, OUTPAINT).output_size == ImageSize(96, 81)


def test_t11_litellm_edit_with_size_sends_aspect_ratio_to_inpaint() -> None:
    body = {"output_format": "png", "prompt": "a cat", "image": IMG, "aspect_ratio": "1:1"}
    assert _error(body, INPAINT) == (
        '{"detail":"Invalid field \'aspect_ratio\' in request. Available fields for inpaint are: image, '
        'prompt, mask, grow_mask, negative_prompt, seed, output_format, style_preset"}'
    )


def test_t12_vercel_nova_body_to_core_gets_r1() -> None:
    body = {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a lighthouse"},
        "imageGenerationConfig": {"numberOfImages": 1, "width": 1024, "height": 1024},
    }
    assert _error(body, CORE) == R1


# ---- step order (docs/CONTRACT.md §S6.2) ----


def test_non_object_bodies_are_malformed_as_for_nova() -> None:
    for raw in (b"", b"[]", b'"prompt"', b"{", b'{"prompt":"a","prompt":"b"}', b"\xef\xbb\xbf{}"):
        assert _error(raw, ULTRA) == MALFORMED
        assert _error(raw, FAST) == MALFORMED


def test_schema_layer_only_for_generators() -> None:
    """D-S17: services have no schema layer; R4 reached Control Sketch without `prompt`."""
    assert _error({}, SD3) == R1
    assert _error({}, "stability.stable-image-core-v1:0") == R1
    assert _error({}, SKETCH) == _detail("ST-REQUIRED", key="image")


def test_null_prompt_passes_the_schema_layer_then_is_missing() -> None:
    assert _error({"prompt": None}, ULTRA) == _detail("ST-REQUIRED", key="prompt")


def test_unknown_fields_before_required_and_in_request_order() -> None:
    assert _error({"zeta": 1, "alpha": 2}, SKETCH).startswith('{"detail":"Invalid field \'zeta\'')


def test_required_before_type_errors() -> None:
    assert _error({"prompt": 5}, SKETCH) == _detail("ST-REQUIRED", key="image")


def test_all_errors_listed_first_reported() -> None:
    report = validate_request(json.dumps({"prompt": 1, "seed": -1, "output_format": "gif"}), ULTRA)
    assert [(e.pointer, e.keyword) for e in report.errors] == [
        ("#/prompt", "ST-TYPE"),
        ("#/seed", "ST-RANGE"),
        ("#/output_format", "ST-ENUM"),
    ]


# ---- step 12: fields ----

FIELD_CASES = [
    ({"prompt": "x", "seed": "7"}, ULTRA, _detail("ST-TYPE", key="seed", expected="integer")),
    ({"prompt": "x", "seed": 7.0}, ULTRA, _detail("ST-TYPE", key="seed", expected="integer")),
    ({"prompt": "x", "seed": True}, ULTRA, _detail("ST-TYPE", key="seed", expected="integer")),
    ({"prompt": ["x"]}, CORE, _detail("ST-TYPE", key="prompt", expected="string")),
    ({"prompt": "x", "aspect_ratio": 1}, CORE, _detail("ST-TYPE", key="aspect_ratio", expected="string")),
    (
        {"prompt": "x", "strength": "0.5", "image": IMG},
        ULTRA,
        _detail("ST-TYPE", key="strength", expected="number"),
    ),
    (
        {"prompt": "x", "aspect_ratio": "4:3"},
        CORE,
        _detail(
            "ST-ENUM",
            key="aspect_ratio",
            value="4:3",
            allowed="16:9, 1:1, 21:9, 2:3, 3:2, 4:5, 5:4, 9:16, 9:21",
        ),
    ),
    (
        {"prompt": "x", "output_format": "PNG"},
        SD35,
        _detail("ST-ENUM", key="output_format", value="PNG", allowed="jpeg, png, webp"),
    ),
    (
        {"prompt": "x", "output_format": "webp"},
        ULTRA,
        _detail("ST-ENUM", key="output_format", value="webp", allowed="jpeg, png"),
    ),
    (
        {"prompt": "x", "output_format": "webp"},
        SD3,
        _detail("ST-ENUM", key="output_format", value="webp", allowed="jpeg, png"),
    ),
    (
        {"prompt": "x", "mode": "image-to-image"},
        ULTRA,
        _detail("ST-ENUM", key="mode", value="image-to-image", allowed="text-to-image"),
    ),
    (
        {"prompt": "x", "style_preset": "watercolour"},
        CORE,
        _detail(
            "ST-ENUM",
            key="style_preset",
            value="watercolour",
            allowed="3d-model, analog-film, anime, cinematic, comic-book, digital-art, enhance, fantasy-art, "
            "isometric, line-art, low-poly, modeling-compound, neon-punk, origami, photographic, pixel-art, "
            "tile-texture",
        ),
    ),
    (
        {"prompt": "x", "seed": 4294967295},
        SD35,
        _detail("ST-RANGE", key="seed", value=4294967295, low=0, high=4294967294),
    ),
    ({"prompt": "x", "seed": -1}, ULTRA, _detail("ST-RANGE", key="seed", value=-1, low=0, high=4294967295)),
    (
        {"image": IMG, "prompt": "x", "grow_mask": 21},
        INPAINT,
        _detail("ST-RANGE", key="grow_mask", value=21, low=0, high=20),
    ),
    (
        {"image": IMG, "prompt": "x", "creativity": 0.05},
        CREATIVE,
        _detail("ST-RANGE", key="creativity", value="0.05", low="0.1", high="0.5"),
    ),
    ({"image": IMG, "left": 2001}, OUTPAINT, _detail("ST-RANGE", key="left", value=2001, low=0, high=2000)),
    ({"image": IMG, "up": 1.5}, OUTPAINT, _detail("ST-TYPE", key="up", expected="integer")),
    ({"prompt": "x" * 10001}, ULTRA, _detail("ST-LEN", key="prompt", limit=10000)),
    (
        {"prompt": "x", "negative_prompt": "y" * 10001},
        CORE,
        _detail("ST-LEN", key="negative_prompt", limit=10000),
    ),
    (
        {"image": IMG, "prompt": "x", "search_prompt": None},
        "us.stability.stable-image-search-replace-v1:0",
        _detail("ST-REQUIRED", key="search_prompt"),
    ),
    ({"init_image": IMG}, TRANSFER, _detail("ST-REQUIRED", key="style_image")),
    ({"prompt": "x", "mode": "image-to-image"}, SD35, _detail("ST-I2I-MISSING")),
    ({"prompt": "x", "mode": "image-to-image", "image": IMG}, SD35, _detail("ST-I2I-MISSING")),
    ({"prompt": "x", "mode": "image-to-image", "strength": 0.5}, SD3, _detail("ST-I2I-MISSING")),
    ({"prompt": "x", "image": IMG}, SD35, _detail("ST-I2I-MISSING")),
    ({"prompt": "x", "cfg_scale": 5}, SD35, None),  # D-S11: R4 form, checked below
]


@pytest.mark.parametrize(("body", "model", "message"), FIELD_CASES)
def test_field_rules(body: dict[str, Any], model: str, message: str | None) -> None:
    if message is None:
        assert _error(body, model).startswith('{"detail":"Invalid field \'cfg_scale\' in request.')
    else:
        assert _error(body, model) == message


def test_written_number_forms_print_as_written() -> None:
    assert _error('{"prompt":"x","image":"' + IMG + '","strength":1.50}', ULTRA) == _detail(
        "ST-RANGE", key="strength", value="1.50", low=0, high=1
    )
    assert _error('{"prompt":"x","image":"' + IMG + '","strength":2e0}', ULTRA) == _detail(
        "ST-RANGE", key="strength", value="2", low=0, high=1
    )


ACCEPTED = [
    ({"prompt": ""}, CORE),  # D-S2
    ({"prompt": "x", "style_preset": "anime"}, CORE),  # D-S13
    ({"prompt": "x", "seed": 4294967295}, ULTRA),  # D-S9
    ({"prompt": "x", "negative_prompt": None, "seed": None, "aspect_ratio": None}, ULTRA),  # null = absent
    ({"image": IMG, "prompt": "x", "grow_mask": 5.0}, INPAINT),  # litellm's float
    ({"image": IMG}, FAST),
    ({"image": IMG, "output_format": "webp"}, REMOVE_BG),
    ({"prompt": "x" * 10000}, SD35),
    ({"prompt": "x", "image": IMG, "strength": 0.5, "mode": "image-to-image", "aspect_ratio": "16:9"}, SD35),
    (
        {"prompt": "x", "image": encoded_image("png", 640, 640), "strength": 0.75, "mode": "image-to-image"},
        SD3,
    ),
    (
        {
            "text_prompts": [{"text": "x"}],
            "style_preset": "photographic",
            "seed": 1,
            "cfg_scale": 10,
            "steps": 30,
        },
        SDXL,
    ),
]


@pytest.mark.parametrize(("body", "model"), ACCEPTED)
def test_accepted_bodies(body: dict[str, Any], model: str) -> None:
    _ok(body, model)


def test_sd35_explicit_text_to_image_ignores_an_image() -> None:
    request = _ok({"prompt": "x", "mode": "text-to-image", "image": IMG, "aspect_ratio": "9:16"}, SD35)
    assert request.operation is Operation.TEXT_TO_IMAGE
    assert request.image is None
    assert request.output_size == ImageSize(768, 1344)


def test_ultra_image_selects_image_to_image_with_default_strength() -> None:
    """D-S12."""
    request = _ok({"prompt": "x", "image": IMG, "mode": "text-to-image"}, ULTRA)
    assert request.operation is Operation.IMAGE_TO_IMAGE
    assert request.strength == 0.35
    assert request.aspect_ratio is None


def test_core_style_preset_is_typed() -> None:
    assert _ok({"prompt": "x", "style_preset": "3d-model"}, CORE).style_preset is StylePreset.MODEL_3D


# ---- step 13: images (docs/CONTRACT.md §S4.5, D-S14) ----

IMAGE_CASES: list[tuple[dict[str, Any], str, str]] = [
    ({"image": "not base64!"}, REMOVE_BG, _detail("ST-IMG-BASE64", key="image")),
    ({"image": "data:image/png;base64," + IMG}, REMOVE_BG, _detail("ST-IMG-BASE64", key="image")),
    ({"image": IMG[:-4] + "=" + IMG[-3:]}, REMOVE_BG, _detail("ST-IMG-BASE64", key="image")),
    ({"image": IMG[:8] + "-" + IMG[9:]}, REMOVE_BG, _detail("ST-IMG-BASE64", key="image")),
    ({"image": IMG[:40] + "\n" + IMG[40:]}, REMOVE_BG, _detail("ST-IMG-BASE64", key="image")),
    ({"image": encoded_image("gif", 96, 80)}, REMOVE_BG, _detail("ST-IMG-FORMAT", key="image")),
    ({"image": encoded_image("text", 1, 1)}, REMOVE_BG, _detail("ST-IMG-FORMAT", key="image")),
    ({"image": encoded_image("png-truncated", 96, 80)}, REMOVE_BG, _detail("ST-IMG-FORMAT", key="image")),
    ({"image": encoded_image("png", 63, 80)}, REMOVE_BG, _detail("ST-IMG-SIDE", key="image", limit=64)),
    ({"image": encoded_image("png", 64, 161)}, REMOVE_BG, _detail("ST-IMG-RATIO", key="image")),
    ({"image": encoded_image("png", 31, 40)}, FAST, _detail("ST-IMG-SIDE", key="image", limit=32)),
    ({"image": encoded_image("png", 1537, 40)}, FAST, _detail("ST-IMG-SIDE-MAX", key="image", limit=1536)),
    (
        {"image": encoded_image("png", 1100, 1000), "prompt": "x"},
        CREATIVE,
        _detail("ST-IMG-PIXELS", key="image", low=4096, high=1048576, pixels=1100000),
    ),
    (
        {"prompt": "x", "image": encoded_image("png", 600, 700), "strength": 0.5},
        SD3,
        _detail("ST-IMG-SIDE", key="image", limit=640),
    ),
    (
        {"prompt": "x", "image": encoded_image("png", 63, 64), "strength": 0.5},
        SD35,
        _detail("ST-IMG-SIDE", key="image", limit=64),
    ),
    (
        {"init_image": IMG, "style_image": encoded_image("png", 200, 64)},
        TRANSFER,
        _detail("ST-IMG-RATIO", key="style_image"),
    ),
    ({"image": IMG, "prompt": "x", "mask": "%%%"}, INPAINT, _detail("ST-IMG-BASE64", key="mask")),
]


@pytest.mark.parametrize(("body", "model", "message"), IMAGE_CASES)
def test_image_rules(body: dict[str, Any], model: str, message: str) -> None:
    assert _error(body, model) == message


def test_huge_image_refused_from_its_header_without_decoding() -> None:
    """A 20000x20000 PNG header: refused at ST-IMG-PIXELS before any pixel is decoded (bomb guard)."""
    import base64
    import struct
    import zlib

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 8, 2, 0, 0, 0)
    png = (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"")) + chunk(b"IEND", b"")
    )
    body = {"image": base64.b64encode(png).decode()}
    assert _error(body, REMOVE_BG) == _detail(
        "ST-IMG-PIXELS", key="image", low=4096, high=9437184, pixels=400000000
    )
    assert _error({"prompt": "x", "image": body["image"]}, ULTRA) == _detail(
        "ST-IMG-PIXELS", key="image", low=1, high=9437184, pixels=400000000
    )


@pytest.mark.parametrize("kind", ["png", "jpeg", "webp", "png-palette", "holes", "png-grey", "jpeg-cmyk"])
def test_accepted_encodings_and_alpha(kind: str) -> None:
    image = encoded_image(kind, 96, 80, 10)
    request = _ok({"image": image}, REMOVE_BG)
    assert request.image is not None
    assert request.image.pixels.shape == (80, 96, 3)
    assert (request.image.alpha is not None) == (kind == "holes")


def test_masks_may_be_grey_any_size_and_alpha_is_kept() -> None:
    request = _ok(
        {"image": encoded_image("holes", 96, 80, 500), "mask": encoded_image("mask-png-grey", 10, 10)}, ERASE
    )
    assert request.mask is not None and request.mask.size == ImageSize(10, 10)
    assert request.image is not None and request.image.alpha is not None
    assert int((request.image.alpha == 0).sum()) == 500


def test_sdxl_schema_layer_everit_messages() -> None:
    body = {
        "text_prompts": [{"text": "x" * 2001, "weight": "1"}],
        "cfg_scale": 40,
        "sampler": "EULER",
        "prompt": "x",
    }
    assert _error(body, SDXL) == (
        "Malformed input request: #: extraneous key [prompt] is not permitted, "
        "#/text_prompts/0/text: expected maxLength: 2000, actual: 2001, "
        "#/text_prompts/0/weight: expected type: Number, found: String, "
        "#/cfg_scale: 40 is not less or equal to 35, #/sampler: EULER is not a valid enum value, "
        "please reformat your input and try again."
    )
    assert _error({}, SDXL) == (
        "Malformed input request: #: required key [text_prompts] not found, please reformat your "
        "input and try again."
    )
    assert _error({"text_prompts": [{"text": "x"}], "samples": 2}, "stability.stable-diffusion-xl") == (
        "Malformed input request: #/samples: 2 is not less or equal to 1, please reformat your "
        "input and try again."
    )


def test_sdxl_dimensions_pair() -> None:
    assert _error({"text_prompts": [{"text": "x"}], "width": 512, "height": 512}, SDXL) == (
        "Malformed input request: #: width x height must be one of 1024x1024, 1152x896, 1216x832, 1344x768, "
        "1536x640, 640x1536, 768x1344, 832x1216, 896x1152, actual: 512x512, please reformat your "
        "input and try "
        "again."
    )
    assert _ok(
        {"text_prompts": [{"text": "x"}], "width": 1536, "height": 640}, SDXL
    ).output_size == ImageSize(1536, 640)


def test_sdxl_extras_is_any_object() -> None:
    _ok({"text_prompts": [{"text": "x"}], "extras": {"anything": [1, 2]}}, SDXL)
    assert "#/extras: expected type: JSONObject, found: JSONArray" in _error(
        {"text_prompts": [{"text": "x"}], "extras": []}, SDXL
    )


def test_reports_are_bedrock_errors() -> None:
    report = validate_request(b'{"prompt":"x","seed":-1}', ULTRA)
    assert isinstance(report.error, BedrockError)
    assert report.errors[0].pointer == "#/seed"
    assert report.document == {"prompt": "x", "seed": -1}
