"""The Stability AI message table, word for word (docs/CONTRACT.md §S6.1, §S6.3, §S6.4)."""

from __future__ import annotations

import json

import pytest

from validator import validate_request
from validator._render import schema_message
from validator.report import ContractError
from validator.stability.messages import CONTAINER_CODES, MESSAGES, container, text
from validator.stability.models import STABILITY_MODELS, Invocation
from validator.stability.spec import STABILITY_SPECS

R4_BODY = (
    '{"message":"{\\"detail\\":\\"Invalid field \'text_prompts\' in request. Available fields for '
    "control-sketch are: image, prompt, control_strength, negative_prompt, seed, output_format, "
    'style_preset\\"}"}'
)
SDXL_SHAPED = {
    "text_prompts": [{"text": "a house", "weight": 1}],
    "cfg_scale": 10,
    "steps": 30,
    "seed": 0,
}


def _wire(message: str) -> bytes:
    """The emulator's error body: `{"message": ...}` compact, UTF-8."""
    return json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False).encode()


def test_r1_text_and_its_everit_form() -> None:
    r1 = (
        "Malformed input request: #: required key [prompt] not found, please reformat your input and try "
        "again."
    )
    assert text("R1") == r1
    assert schema_message([ContractError("schema", "#", "required", "required key [prompt] not found")]) == r1


def test_r3_text() -> None:
    assert text("R3", key="aws_region_name", name="ultra", fields=STABILITY_SPECS_ULTRA) == (
        "Invalid field 'aws_region_name' in request. Available fields for ultra are: prompt, "
        "negative_prompt, "
        "mode, strength, seed, output_format, image, aspect_ratio"
    )


STABILITY_SPECS_ULTRA = "prompt, negative_prompt, mode, strength, seed, output_format, image, aspect_ratio"


def test_t2_r4_is_196_bytes_through_validate_request() -> None:
    report = validate_request(json.dumps(SDXL_SHAPED), "us.stability.stable-image-control-sketch-v1:0")
    assert report.error is not None
    assert report.error.status == 400
    assert report.error.exception == "ValidationException"
    assert report.error.message == (
        '{"detail":"Invalid field \'text_prompts\' in request. Available fields for control-sketch are: '
        'image, prompt, control_strength, negative_prompt, seed, output_format, style_preset"}'
    )
    assert _wire(report.error.message) == R4_BODY.encode()
    assert len(_wire(report.error.message)) == 196
    # D-S16: only the first unknown key is named; every unknown key is listed in `errors`.
    assert [e.pointer for e in report.errors] == ["#/text_prompts", "#/cfg_scale", "#/steps"]


def test_r6_r7_r8_texts() -> None:
    assert text("R6") == "invalid_prompts"
    assert text("R7") == (
        "This model version has reached the end of its life. Please refer to the AWS documentation for more "
        "details."
    )
    r8 = text("R8", model_id="stability.stable-fast-upscale-v1:0")
    assert r8 == (
        "Invocation of model ID stability.stable-fast-upscale-v1:0 with on-demand throughput isn\u2019t "
        "supported. Retry your request with the ID or ARN of an inference profile that contains this model."
    )
    assert "\u2019" in r8 and "'" not in r8


ST_TEXTS = [
    ("ST-REQUIRED", {"key": "image"}, "Missing required field 'image'"),
    ("ST-TYPE", {"key": "seed", "expected": "integer"}, "Invalid type for field 'seed': expected integer"),
    (
        "ST-ENUM",
        {"key": "output_format", "value": "PNG", "allowed": "jpeg, png"},
        "Invalid value for 'output_format': 'PNG'. Allowed values: jpeg, png",
    ),
    (
        "ST-RANGE",
        {"key": "strength", "value": "1.5", "low": "0", "high": "1"},
        "Invalid value for 'strength': 1.5. Must be between 0 and 1",
    ),
    ("ST-LEN", {"key": "prompt", "limit": 10000}, "Field 'prompt' must be at most 10000 characters"),
    ("ST-I2I-MISSING", {}, "image-to-image requires the prompt, image, and strength parameters"),
    (
        "ST-OUTPAINT-ZERO",
        {},
        "At least one outpaint direction: (left, right, up, or down) must be supplied with a non-zero value.",
    ),
    ("ST-IMG-BASE64", {"key": "image"}, "Invalid image for field 'image': not valid base64"),
    (
        "ST-IMG-FORMAT",
        {"key": "mask"},
        "Invalid image for field 'mask': supported formats are jpeg, png, webp",
    ),
    (
        "ST-IMG-SIDE",
        {"key": "image", "limit": 64},
        "Invalid image for field 'image': every side must be at least 64 pixels",
    ),
    (
        "ST-IMG-PIXELS",
        {"key": "image", "low": 4096, "high": 9437184, "pixels": 9437185},
        "Invalid image for field 'image': total pixel count must be between 4096 and 9437184, got 9437185",
    ),
    (
        "ST-IMG-RATIO",
        {"key": "style_image"},
        "Invalid image for field 'style_image': aspect ratio must be between 1:2.5 and 2.5:1",
    ),
]


@pytest.mark.parametrize(("code", "parts", "expected"), ST_TEXTS)
def test_project_texts_word_for_word(code: str, parts: dict[str, object], expected: str) -> None:
    assert text(code, **parts) == expected
    assert code in CONTAINER_CODES


def test_every_container_text_is_tested_or_an_extension() -> None:
    tested = {code for code, _, _ in ST_TEXTS}
    # ST-IMG-SIDE-MAX is the project's counterpart of ST-IMG-SIDE for a side over its cap.
    assert {c for c in MESSAGES if c.startswith("ST-")} - tested == {"ST-IMG-SIDE-MAX", "ST-SDXL-DIMENSIONS"}


def test_container_wraps_compactly_without_escaping_unicode() -> None:
    assert container("Invalid value for 'prompt': 'é'") == "{\"detail\":\"Invalid value for 'prompt': 'é'\"}"


FIELD_LISTS = {
    "stability.stable-image-ultra-v1:1": (
        "ultra",
        "prompt, negative_prompt, mode, strength, seed, output_format, image, aspect_ratio",
    ),
    "stability.stable-image-control-sketch-v1:0": (
        "control-sketch",
        "image, prompt, control_strength, negative_prompt, seed, output_format, style_preset",
    ),
    "stability.stable-image-control-structure-v1:0": (
        "control-structure",
        "image, prompt, control_strength, negative_prompt, seed, output_format, style_preset",
    ),
    "stability.stable-image-core-v1:1": (
        "core",
        "prompt, negative_prompt, mode, aspect_ratio, seed, output_format, style_preset",
    ),
    "stability.sd3-5-large-v1:0": (
        "sd3",
        "prompt, negative_prompt, mode, strength, seed, output_format, image, aspect_ratio",
    ),
    "stability.stable-creative-upscale-v1:0": (
        "upscale-creative",
        "image, prompt, creativity, negative_prompt, seed, output_format, style_preset",
    ),
    "stability.stable-conservative-upscale-v1:0": (
        "upscale-conservative",
        "image, prompt, creativity, negative_prompt, seed, output_format",
    ),
    "stability.stable-fast-upscale-v1:0": ("upscale-fast", "image, output_format"),
    "stability.stable-image-inpaint-v1:0": (
        "inpaint",
        "image, prompt, mask, grow_mask, negative_prompt, seed, output_format, style_preset",
    ),
    "stability.stable-outpaint-v1:0": (
        "outpaint",
        "image, prompt, left, right, up, down, creativity, seed, output_format, style_preset",
    ),
    "stability.stable-image-search-recolor-v1:0": (
        "search-and-recolor",
        "image, prompt, select_prompt, grow_mask, negative_prompt, seed, output_format, style_preset",
    ),
    "stability.stable-image-search-replace-v1:0": (
        "search-and-replace",
        "image, prompt, search_prompt, grow_mask, negative_prompt, seed, output_format, style_preset",
    ),
    "stability.stable-image-erase-object-v1:0": ("erase", "image, mask, grow_mask, seed, output_format"),
    "stability.stable-image-remove-background-v1:0": ("remove-background", "image, output_format"),
    "stability.stable-image-style-guide-v1:0": (
        "control-style",
        "image, prompt, aspect_ratio, fidelity, negative_prompt, seed, output_format, style_preset",
    ),
    "stability.stable-style-transfer-v1:0": (
        "control-style-transfer",
        "init_image, style_image, prompt, negative_prompt, composition_fidelity, style_strength, "
        "change_strength, seed, output_format",
    ),
}


@pytest.mark.parametrize(("model", "expected"), FIELD_LISTS.items())
def test_field_lists_of_section_s6_3(model: str, expected: tuple[str, str]) -> None:
    spec = next(s for s in STABILITY_SPECS.values() if s.model.value == model)
    assert (spec.name, spec.available) == expected
    on_demand = STABILITY_MODELS[spec.model].invocation is Invocation.ON_DEMAND
    profile = model if on_demand else "us." + model
    name, fields = expected
    detail = f"Invalid field 'zz_unknown' in request. Available fields for {name} are: {fields}"
    error = validate_request(b'{"zz_unknown":1}', profile).error
    assert error is not None
    if spec.schema_prompt:  # the schema layer answers first (D-S17)
        assert error.message == text("R1")
        error = validate_request(b'{"prompt":"x","zz_unknown":1}', profile).error
        assert error is not None
    assert error.message == json.dumps({"detail": detail}, separators=(",", ":"))


def test_historic_ids_share_their_successor_lists() -> None:
    from validator.stability.models import StabilityModel as M

    assert STABILITY_SPECS[M.ULTRA_V1_0].available == STABILITY_SPECS[M.ULTRA].available
    assert STABILITY_SPECS[M.CORE_V1_0].available == STABILITY_SPECS[M.CORE].available
    assert STABILITY_SPECS[M.SD3_LARGE].available == STABILITY_SPECS[M.SD35_LARGE].available
