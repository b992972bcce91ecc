"""The AWS SDK for JavaScript v3 (`InvokeModelCommand`, its default HTTP/2 handler over cleartext) against the
real server, Stability AI models (docs/CONTRACT.md §S2, §S7).

All cases run in one Node process (`js/run_cases.mjs`); each test checks one result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.support.clients import run_js_cases
from tests.support.photos import iou, photo_b64, photo_pixels, reference_mask
from tests.support.server import EmulatorProcess
from tests.support.stability import (
    CONTROL_SKETCH,
    R4,
    REMOVE_BACKGROUND,
    SD35,
    SDXL,
    STABILITY_BLOCKED_WORD,
    ULTRA,
    on_demand_unsupported,
    sdxl_image,
    v2_image,
)


def _cases() -> list[dict[str, Any]]:
    sdxl_shaped = {"text_prompts": [{"text": "a house", "weight": 1}], "cfg_scale": 10, "steps": 30}
    return [
        {
            "id": "ultra",
            "modelId": ULTRA,
            "body": json.dumps({"prompt": "a lighthouse", "output_format": "jpeg"}),
        },
        {
            "id": "remove-background",
            "modelId": REMOVE_BACKGROUND,
            "body": json.dumps({"image": photo_b64("chelsea")}),
            "contentType": "application/json",
        },
        {"id": "sdxl", "modelId": SDXL, "body": json.dumps({"text_prompts": [{"text": "a lighthouse"}]})},
        {"id": "nested-detail", "modelId": CONTROL_SKETCH, "body": json.dumps(sdxl_shaped)},
        {"id": "on-demand", "modelId": "stability.stable-image-erase-object-v1:0", "body": '{"image":"x"}'},
        {"id": "filtered", "modelId": SD35, "body": json.dumps({"prompt": f"a {STABILITY_BLOCKED_WORD}"})},
    ]


@pytest.fixture(scope="module")
def js_results(
    node_modules: Path, stability_emulator: EmulatorProcess, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    return run_js_cases(node_modules, stability_emulator.url, _cases(), tmp_path_factory.mktemp("js"))


def test_generator_by_bare_id_over_h2c(
    js_results: dict[str, Any], stability_emulator: EmulatorProcess
) -> None:
    assert f'"POST /model/{ULTRA}/invoke HTTP/2"' in stability_emulator.log()  # it really spoke h2c
    result = js_results["ultra"]
    assert result["ok"], result
    assert result["contentType"] == "application/json"
    image = v2_image(result["body"])
    assert (image.format, image.size) == ("jpeg", (1024, 1024))


def test_service_by_profile_id(js_results: dict[str, Any]) -> None:
    result = js_results["remove-background"]
    assert result["ok"], result
    image = v2_image(result["body"])
    assert (image.format, image.mode, image.size) == ("png", "RGBA", (576, 383))
    assert np.array_equal(image.pixels[:, :, :3], photo_pixels("chelsea"))
    assert iou(image.pixels[:, :, 3] > 127, reference_mask("chelsea")) >= 0.7


def test_sdxl_body(js_results: dict[str, Any]) -> None:
    result = js_results["sdxl"]
    assert result["ok"], result
    assert sdxl_image(result["body"]).size == (1024, 1024)


@pytest.mark.parametrize(
    ("case", "message"),
    [("nested-detail", R4), ("on-demand", on_demand_unsupported("stability.stable-image-erase-object-v1:0"))],
)
def test_errors_keep_the_servers_text(js_results: dict[str, Any], case: str, message: str) -> None:
    """`error.message` is the literal `{"detail":...}` text (R4), or R8 with its U+2019, as sent."""
    result = js_results[case]
    assert (result["ok"], result["name"], result["status"], result["fault"], result["message"]) == (
        False,
        "ValidationException",
        400,
        "client",
        message,
    )


def test_filtered_prompt_is_a_success_without_images(js_results: dict[str, Any]) -> None:
    result = js_results["filtered"]
    assert result["ok"], result
    assert result["body"] == {"finish_reasons": ["Filter reason: prompt"]}
