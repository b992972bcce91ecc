"""The AWS SDK for JavaScript v3 against the real server, with its DEFAULT HTTP/2 handler
(docs/CONTRACT.md §2.1, §9).

All cases run in one Node process (`js/run_cases.mjs`) to keep the suite fast; each test checks one result.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.bodies import NOVA, image_size, text_image
from tests.support.clients import FAULT_HEADER, run_js_cases
from tests.support.responses import check_success
from validator import messages

FAULTS = sorted(messages.EXCEPTION_STATUS)
BIG = text_image(seed=11, width=2048, height=2048)  # one ~MB body: many HTTP/2 flow-control windows


def _cases() -> list[dict[str, Any]]:
    cases: list[dict[str, Any]] = [
        {"id": "big", "modelId": NOVA, "body": BIG.decode()},
        {"id": "several", "modelId": NOVA, "body": text_image(5, 512, 512, count=4).decode()},
        {"id": "json", "modelId": NOVA, "body": text_image().decode(), "contentType": "application/json"},
        {
            "id": "arn",
            "modelId": "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-image-generator-v2:0",
            "body": text_image(width=512, height=512).decode(),
        },
        {"id": "bad-model", "modelId": "amazon.nova-lite-v1:0", "body": text_image().decode()},
        {"id": "malformed", "modelId": NOVA, "body": "{not json"},
        {"id": "bad-accept", "modelId": NOVA, "body": "{}", "accept": "image/png"},
    ]
    plain = text_image().decode()
    cases += [
        {"id": f"fault-{n}", "modelId": NOVA, "body": plain, "headers": {FAULT_HEADER: n}} for n in FAULTS
    ]
    return cases


@pytest.fixture(scope="module")
def js_results(node_modules: Path, emulator: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_js_cases(node_modules, emulator.url, _cases(), tmp_path_factory.mktemp("js"))


def test_large_response_arrives_whole_over_h2c(js_results: dict[str, Any], emulator: Any) -> None:
    """The SDK closes its HTTP/2 session early; the > 64 KB body must still arrive whole
    (docs/CONTRACT.md §2.1)."""
    assert f'"POST /model/{NOVA}/invoke HTTP/2"' in emulator.log()  # it really spoke h2c
    result = js_results["big"]
    assert result["ok"], result
    assert result["contentType"] == "application/json"
    assert result["bodyLength"] > 1_000_000
    body = json.dumps(result["body"], separators=(",", ":")).encode()
    assert len(body) == result["bodyLength"]
    check_success(NOVA, BIG, body)


def test_several_images(js_results: dict[str, Any]) -> None:
    result = js_results["several"]
    assert result["ok"], result
    assert [image_size(b64) for b64 in result["body"]["images"]] == [(512, 512, "RGB")] * 4


@pytest.mark.parametrize("case", ["json", "arn"])
def test_success_forms(js_results: dict[str, Any], case: str) -> None:
    """Default `application/octet-stream` (no contentType) and explicit JSON both work; ARNs are encoded."""
    result = js_results[case]
    assert result["ok"], result
    assert len(result["body"]["images"]) == 1


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("bad-model", messages.INVALID_MODEL_ID),
        ("malformed", messages.MALFORMED),
        ("bad-accept", messages.INVALID_ACCEPT),
    ],
)
def test_validation_errors(js_results: dict[str, Any], case: str, message: str) -> None:
    result = js_results[case]
    assert (result["ok"], result["name"], result["status"], result["message"]) == (
        False,
        "ValidationException",
        400,
        message,
    )


@pytest.mark.parametrize("name", FAULTS)
def test_each_modelled_exception_has_its_name(js_results: dict[str, Any], name: str) -> None:
    result = js_results[f"fault-{name}"]
    expected = (False, name, messages.EXCEPTION_STATUS[name], messages.DEFAULT_EXCEPTION_MESSAGE[name])
    assert (result["ok"], result["name"], result["status"], result["message"]) == expected
