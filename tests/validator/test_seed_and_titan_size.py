"""Nova seeds up to 2,147,483,646 with W-SEED-LEGACY above 858,993,459 (docs/CONTRACT.md D1); Titan's size
error in Bedrock's own words on every Titan task (docs/CONTRACT.md §7.3 SEM-SIZE-TITAN, D37)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from validator import ModelId, TaskType, is_valid_request, validate_request
from validator.jsonschema_export import json_schema
from validator.types import InvokeRequest

NOVA, T1, T2 = (m.value for m in ModelId)


def _text_image(seed: int) -> dict[str, Any]:
    return {
        "taskType": "TEXT_IMAGE",
        "textToImageParams": {"text": "a cat"},
        "imageGenerationConfig": {"seed": seed},
    }


@pytest.mark.parametrize("seed", [858993460, 1_500_000_000, 2147483646])
def test_nova_seed_above_the_legacy_cap_is_accepted_with_a_warning(seed: int) -> None:
    for body in (_text_image(seed), repr(_text_image(seed)).replace("'", '"').encode()):
        report = validate_request(body, NOVA)
        assert (
            report.valid and isinstance(report.request, InvokeRequest) and report.request.config.seed == seed
        )
        assert [(w.code, w.pointer, w.message) for w in report.warnings] == [
            (
                "W-SEED-LEGACY",
                "#/imageGenerationConfig/seed",
                f"seed {seed} is accepted (Nova Canvas takes 0-2147483646), but earlier revisions of the "
                "API, AWS's SDK examples and AWS's Nova MCP server cap the seed at 858993459; code or checks "
                "written against them reject it",
            )
        ]


@pytest.mark.parametrize("seed", [0, 12, 858993459])
def test_nova_seed_at_or_below_the_legacy_cap_draws_no_warning(seed: int) -> None:
    report = validate_request(_text_image(seed), NOVA)
    assert report.valid and report.warnings == ()


def test_seed_beyond_the_maximum_is_a_schema_error() -> None:
    report = validate_request(_text_image(2147483647), NOVA)
    assert report.error is not None and report.error.message == (
        "Malformed input request: #/imageGenerationConfig/seed: 2147483647 is not less or equal to "
        "2147483646, please reformat your input and try again."
    )


@pytest.mark.parametrize("model", [T1, T2])
def test_titan_seeds_have_no_legacy_warning(model: str) -> None:
    report = validate_request(_text_image(2147483646), model)
    assert report.valid and report.warnings == ()


def test_background_removal_ignores_the_seed_without_a_seed_warning(b64: Callable[[str], str]) -> None:
    body = {
        "taskType": "BACKGROUND_REMOVAL",
        "backgroundRemovalParams": {"image": b64("rgb_512x512.png")},
        "imageGenerationConfig": {"seed": 2000000000},
    }
    assert [w.code for w in validate_request(body, NOVA).warnings] == ["W-CONFIG-IGNORED"]


def test_json_schema_states_the_new_seed_maximum() -> None:
    config = json_schema(NOVA, TaskType.TEXT_IMAGE)["properties"]["imageGenerationConfig"]["properties"]
    assert config["seed"]["maximum"] == 2147483646


def _editing(task: str, image: str, config: dict[str, Any]) -> dict[str, Any]:
    key = "inPaintingParams" if task == "INPAINTING" else "outPaintingParams"
    return {
        "taskType": task,
        key: {"image": image, "maskPrompt": "x", "text": "a beach"},
        "imageGenerationConfig": config,
    }


@pytest.mark.parametrize("model", [T1, T2])
@pytest.mark.parametrize("task", ["INPAINTING", "OUTPAINTING"])
@pytest.mark.parametrize(
    ("config", "given"),
    [
        ({"width": 1280, "height": 720}, "(1280, 720)"),
        ({"width": 1280}, "(1280, 1024)"),
        ({"height": 1294}, "(1024, 1294)"),
    ],
)
def test_titan_editing_tasks_check_the_effective_pair(
    model: str, task: str, config: dict[str, Any], given: str, b64: Callable[[str], str]
) -> None:
    report = validate_request(_editing(task, b64("rgb_512x512.png"), config), model)
    assert report.error is not None
    assert report.error.message == f"400 Bad Request: Value of (width, height) is not valid. Given: {given}."
    assert [(e.pointer, e.keyword) for e in report.errors] == [("#/imageGenerationConfig", "SEM-SIZE-TITAN")]
    assert report.warnings == ()  # a rejected pair is not "ignored"
    assert not is_valid_request(_editing(task, b64("rgb_512x512.png"), config), model)


@pytest.mark.parametrize("model", [T1, T2])
@pytest.mark.parametrize("task", ["INPAINTING", "OUTPAINTING"])
def test_titan_editing_tasks_ignore_a_listed_pair(model: str, task: str, b64: Callable[[str], str]) -> None:
    report = validate_request(_editing(task, b64("rgb_512x512.png"), {"width": 1152, "height": 640}), model)
    assert report.valid and [w.code for w in report.warnings] == ["W-DIM-IGNORED", "W-DIM-IGNORED"]
    assert isinstance(report.request, InvokeRequest) and str(report.request.output_size) == "512x512"


def test_nova_editing_tasks_still_ignore_any_pair(b64: Callable[[str], str]) -> None:
    report = validate_request(
        _editing("OUTPAINTING", b64("rgb_512x512.png"), {"width": 1280, "height": 720}), NOVA
    )
    assert report.valid and [w.code for w in report.warnings] == ["W-DIM-IGNORED", "W-DIM-IGNORED"]


def test_titan_text_image_message_is_the_whole_bedrock_text() -> None:
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a cat"},
            "imageGenerationConfig": {"width": 1280, "height": 720}}  # fmt: skip
    report = validate_request(body, T2)
    assert report.error is not None
    assert (
        report.error.message == "400 Bad Request: Value of (width, height) is not valid. Given: (1280, 720)."
    )
    assert report.errors[0].text == (
        "#/imageGenerationConfig: 400 Bad Request: Value of (width, height) is not valid. Given: (1280, 720)."
    )
