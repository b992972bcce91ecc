"""JSON Schema export of the Stability bodies (checked with `jsonschema`) and the Hypothesis strategies."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from validator import is_valid_request, iter_request_errors, json_schema, validate_body, validate_request
from validator.stability.models import STABILITY_MODELS, Invocation, Operation, StabilityModel
from validator.strategies import encoded_image, invalid_stability_requests, valid_stability_requests

IMG = encoded_image("png", 96, 80)
V2 = [m for m in StabilityModel if m not in (StabilityModel.SDXL, StabilityModel.SDXL_V0)]
FAST = settings(
    max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


def _id(model: StabilityModel) -> str:
    return model.value if STABILITY_MODELS[model].invocation is Invocation.ON_DEMAND else "us." + model.value


def _validator(model: StabilityModel, operation: Operation | None = None) -> jsonschema.Draft202012Validator:
    schema = json_schema(model, operation)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.mark.parametrize("model", list(StabilityModel))
def test_every_model_exports_a_valid_draft_2020_12_schema(model: StabilityModel) -> None:
    schema = json_schema(model.value)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"urn:nova-canvas-emulator:request:{model.value}"
    assert schema["additionalProperties"] is False
    jsonschema.Draft202012Validator.check_schema(schema)


CASES: list[tuple[StabilityModel, dict[str, Any], bool]] = [
    (StabilityModel.ULTRA, {"prompt": "x"}, True),
    (StabilityModel.ULTRA, {"text_prompts": [{"text": "x"}]}, False),
    (StabilityModel.ULTRA, {"prompt": "x", "output_format": "webp"}, False),
    (StabilityModel.ULTRA, {"prompt": "x", "seed": None}, True),
    (StabilityModel.SD35_LARGE, {"prompt": "x", "image": IMG, "strength": 0.7}, True),
    (StabilityModel.SD35_LARGE, {"prompt": "x", "image": IMG}, False),
    (StabilityModel.SD35_LARGE, {"prompt": "x", "mode": "image-to-image"}, False),
    (StabilityModel.SD35_LARGE, {"prompt": "x", "cfg_scale": 5}, False),
    (StabilityModel.SD35_LARGE, {"prompt": "x", "seed": 4294967295}, False),
    (StabilityModel.CORE, {"prompt": "", "style_preset": "anime"}, True),
    (StabilityModel.OUTPAINT, {"image": IMG, "left": 0}, False),
    (StabilityModel.OUTPAINT, {"image": IMG, "left": 0, "up": 4}, True),
    (StabilityModel.ERASE, {"image": [IMG]}, False),
    (StabilityModel.INPAINT, {"image": IMG, "prompt": "x", "aspect_ratio": "1:1"}, False),
    (StabilityModel.STYLE_TRANSFER, {"init_image": IMG, "style_image": IMG, "prompt": "statue"}, True),
    (StabilityModel.SDXL, {"text_prompts": [{"text": "x"}], "cfg_scale": 10, "steps": 30}, True),
    (StabilityModel.SDXL, {"text_prompts": [{"text": "x"}], "width": 512, "height": 512}, False),
    (StabilityModel.SDXL, {"text_prompts": [{"text": "x"}], "width": 1152, "height": 896}, True),
    (StabilityModel.SDXL, {"text_prompts": [{"text": "x"}], "width": 1152}, False),
    (StabilityModel.SDXL, {"text_prompts": [{"text": "x"}], "extras": {"a": 1}}, True),
]


@pytest.mark.parametrize(("model", "body", "valid"), CASES)
def test_schema_agrees_with_the_validator(model: StabilityModel, body: dict[str, Any], valid: bool) -> None:
    assert _validator(model).is_valid(body) is valid
    assert validate_request(json.dumps(body), _id(model)).valid is valid


def test_operation_schemas() -> None:
    i2i = _validator(StabilityModel.SD35_LARGE, Operation.IMAGE_TO_IMAGE)
    assert i2i.is_valid({"prompt": "x", "image": IMG, "strength": 0.5})
    assert not i2i.is_valid({"prompt": "x"})
    t2i = _validator(StabilityModel.ULTRA, Operation.TEXT_TO_IMAGE)
    assert t2i.is_valid({"prompt": "x"})
    assert not t2i.is_valid({"prompt": "x", "image": IMG})
    assert json_schema(StabilityModel.INPAINT, "inpaint")["$id"].endswith(":inpaint")
    with pytest.raises(ValueError, match="does not perform"):
        json_schema(StabilityModel.CORE, "image-to-image")
    sdxl = _validator(StabilityModel.SDXL, Operation.IMAGE_TO_IMAGE)
    assert sdxl.is_valid({"text_prompts": [{"text": "x"}], "init_image": IMG})
    assert not sdxl.is_valid({"text_prompts": [{"text": "x"}]})


@pytest.mark.parametrize("model", V2 + [StabilityModel.SDXL])
@FAST
@given(data=st.data())
def test_valid_bodies_validate_and_match_the_schema(model: StabilityModel, data: st.DataObject) -> None:
    body = data.draw(valid_stability_requests(model))
    report = validate_request(json.dumps(body), _id(model))
    assert report.error is None, (body, report.error)
    assert _validator(model).is_valid(body)


@pytest.mark.parametrize("model", V2)
@FAST
@given(data=st.data())
def test_invalid_bodies_draw_the_expected_error(model: StabilityModel, data: st.DataObject) -> None:
    body, error = data.draw(invalid_stability_requests(model))
    assert validate_request(json.dumps(body), _id(model)).error == error
    assert validate_request(body, _id(model)).error == error  # an already-parsed dict too


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FIELD_NAMES = st.sampled_from(
    [
        "prompt",
        "image",
        "mask",
        "seed",
        "mode",
        "strength",
        "left",
        "grow_mask",
        "text_prompts",
        "output_format",
    ]
)


@FAST
@given(st.dictionaries(FIELD_NAMES | st.text(max_size=5), JSON, max_size=5) | JSON)
def test_the_validator_is_total_on_stability_models(body: Any) -> None:
    """Any JSON value gives a report (never an exception), and the entry points agree."""
    raw = json.dumps(body)
    for model in StabilityModel:
        model_id = _id(model)
        report = validate_request(raw, model_id)
        assert report.valid is (report.error is None)
        assert is_valid_request(raw, model_id) is report.valid
        assert list(iter_request_errors(raw, model_id)) == list(report.errors)
        assert validate_body(raw, model).error == report.error


def test_schemas_cite_only_docs_contract() -> None:
    from tests.validator.test_references import FOREIGN

    text = json.dumps([json_schema(m) for m in StabilityModel], ensure_ascii=False)
    assert "docs/CONTRACT.md §S4.5" in text
    assert FOREIGN.search(text) is None


def test_unknown_keys_listed_are_bounded() -> None:
    body = {f"k{i}": 0 for i in range(5000)}
    report = validate_request(json.dumps(body), "us.stability.stable-image-erase-object-v1:0")
    assert len(report.errors) == 100
    assert report.errors[0].pointer == "#/k0"
