"""Verbatim schema-stage messages (docs/CONTRACT.md §7.1), by keyword: mutation → pointer → detail.

Spec-driven tables cover every field of every task of every model with a type violation; hand-written tables
cover the other keywords and the printing rules.
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from tests.support.responses import message_for
from validator.messages import MALFORMED_PREFIX, MALFORMED_SUFFIX
from validator.spec import EXPECTED_TYPE_NAME, MODEL_SPECS, Field, Kind
from validator.types import ModelId

NOVA, T1, T2 = (m.value for m in ModelId)
BASE = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"}}


def wrap(*violations: str) -> str:
    return MALFORMED_PREFIX + ", ".join(violations) + MALFORMED_SUFFIX


def with_config(**config: Any) -> dict[str, Any]:
    return {**BASE, "imageGenerationConfig": config}


def with_params(**params: Any) -> dict[str, Any]:
    return {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat", **params}}


GC = "#/imageGenerationConfig"
TI = "#/textToImageParams"
TABLE = [
    # (body, model, violations)
    (with_params(images=[]), NOVA, [f"{TI}: extraneous key [images] is not permitted"]),
    (with_config(style="x"), NOVA, [f"{GC}: extraneous key [style] is not permitted"]),
    ({"taskType": "TEXT_IMAGE"}, NOVA, ["#: required key [textToImageParams] not found"]),
    (with_params(text=""), NOVA, [f"{TI}/text: expected minLength: 1, actual: 0"]),
    (with_params(text="x" * 1469), NOVA, [f"{TI}/text: expected maxLength: 1024, actual: 1469"]),
    (with_params(text="x" * 536), T1, [f"{TI}/text: expected maxLength: 512, actual: 536"]),
    (with_config(width="1"), NOVA, [f"{GC}/width: expected type: Integer, found: String"]),
    (with_config(quality="hd"), NOVA, [f"{GC}/quality: hd is not a valid enum value"]),
    (with_config(cfgScale=Decimal("1.0")), NOVA, [f"{GC}/cfgScale: 1.0 is not greater or equal to 1.1"]),
    (with_config(seed=2147483647), NOVA, [f"{GC}/seed: 2147483647 is not less or equal to 2147483646"]),
    (with_config(seed=2147483647), T2, [f"{GC}/seed: 2147483647 is not less or equal to 2147483646"]),
    (with_config(seed=2147483647), T1, [f"{GC}/seed: 2147483647 is not less or equal to 2147483646"]),
    (
        {"taskType": "IMAGE_VARIATION", "imageVariationParams": {"images": []}},
        NOVA,
        ["#/imageVariationParams/images: expected minimum item count: 1, found: 0"],
    ),
    (
        {
            "taskType": "COLOR_GUIDED_GENERATION",
            "colorGuidedGenerationParams": {"text": "x", "colors": ["#000000"] * 11},
        },
        NOVA,
        ["#/colorGuidedGenerationParams/colors: expected maximum item count: 10, found: 11"],
    ),
    (
        {
            "taskType": "COLOR_GUIDED_GENERATION",
            "colorGuidedGenerationParams": {"text": "x", "colors": ["red"]},
        },
        NOVA,
        ["#/colorGuidedGenerationParams/colors/0: string [red] does not match pattern ^#[0-9A-Fa-f]{6}$"],
    ),
    (
        with_config(quality={"b": [1, None], "a": "x"}),
        NOVA,
        [f'{GC}/quality: {{"b":[1,null],"a":"x"}} is not a valid enum value'],
    ),
    (with_config(quality=Decimal("1E+3")), NOVA, [f"{GC}/quality: 1E+3 is not a valid enum value"]),
    (with_config(quality=False), NOVA, [f"{GC}/quality: false is not a valid enum value"]),
    (with_config(cfgScale=Decimal("1E+3")), NOVA, [f"{GC}/cfgScale: 1E+3 is not less or equal to 10"]),
    (with_config(seed=-5), NOVA, [f"{GC}/seed: -5 is not greater or equal to 0"]),
]


@pytest.mark.parametrize(("body", "model", "violations"), TABLE, ids=range(len(TABLE)))
def test_keyword_templates(body: dict[str, Any], model: str, violations: list[str]) -> None:
    from tests.support.fixtures import dump

    assert message_for(dump(body), model) == wrap(*violations)


FOUND = [
    ("x", "String"),
    (5, "Integer"),
    (2**31 - 1, "Integer"),
    (-(2**31), "Integer"),
    (2**31, "Long"),
    (-(2**31) - 1, "Long"),
    (2**63 - 1, "Long"),
    (2**63, "BigInteger"),
    (-(2**63) - 1, "BigInteger"),
    (Decimal("1.5"), "BigDecimal"),
    (True, "Boolean"),
    ({}, "JSONObject"),
    ([], "JSONArray"),
    (None, "Null"),
]


@pytest.mark.parametrize(("value", "found"), FOUND)
def test_found_type_names(value: object, found: str) -> None:
    from tests.support.fixtures import dump

    body = with_params(text=value) if found != "String" else with_config(seed=value)
    pointer, expected = (f"{TI}/text", "String") if found != "String" else (f"{GC}/seed", "Integer")
    assert message_for(dump(body)) == wrap(f"{pointer}: expected type: {expected}, found: {found}")


def _wrong_value(f: Field) -> tuple[object, str]:
    """A value of the wrong type for `f`, and the detail Bedrock prints for it."""
    if f.kind is Kind.ENUM:
        return None, "null is not a valid enum value"
    if f.kind in (Kind.STRING, Kind.IMAGE):
        return 7, f"expected type: {EXPECTED_TYPE_NAME[f.kind]}, found: Integer"
    return "x", f"expected type: {EXPECTED_TYPE_NAME[f.kind]}, found: String"


def _field_cases() -> list[tuple[str, str, dict[str, Any], str]]:
    """Every field of every model/task, sent with the wrong type inside an otherwise minimal body."""
    cases = []
    for model, spec in MODEL_SPECS.items():
        for task, task_spec in spec.tasks.items():
            params = task_spec.params
            for f in params.fields:
                value, detail = _wrong_value(f)
                body = {"taskType": task.value, params.name: _minimal(params) | {f.name: value}}
                cases.append(
                    (model.value, f"{task.value}.{f.name}", body, f"#/{params.name}/{f.name}: {detail}")
                )
    return cases


def _minimal(params: Field) -> dict[str, Any]:
    """Required keys with schema-valid values (semantic checks never run: the schema stage fails first)."""
    values: dict[str, Any] = {}
    for f in params.fields:
        if not f.required:
            continue
        if f.kind is Kind.ENUM:
            values[f.name] = f.enum[0]
        elif f.kind is Kind.ARRAY:
            values[f.name] = ["#000000"] if f.items is not None and f.items.kind is Kind.STRING else ["AAAA"]
        else:
            values[f.name] = "AAAA"
    return values


FIELD_CASES = _field_cases()


@pytest.mark.parametrize(
    ("model", "name", "body", "violation"), FIELD_CASES, ids=[f"{c[0]}:{c[1]}" for c in FIELD_CASES]
)
def test_every_field_type_checked(model: str, name: str, body: dict[str, Any], violation: str) -> None:
    assert message_for(copy.deepcopy(body), model) == wrap(violation)


def test_all_violations_joined_in_traversal_order() -> None:
    body = {"x": 1, "taskType": "INPAINTING", "inPaintingParams": {"maskPrompt": "", "text": 5, "y": 2}}
    assert message_for(body) == wrap(
        "#: extraneous key [x] is not permitted",
        "#/inPaintingParams: required key [image] not found",
        "#/inPaintingParams: extraneous key [y] is not permitted",
        "#/inPaintingParams/maskPrompt: expected minLength: 1, actual: 0",
        "#/inPaintingParams/text: expected type: String, found: Integer",
    )
