"""Same request, same bytes: within one server, across two servers, and across a restart (fresh workers,
empty analysis caches, the model read again)."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.bodies import NOVA, TITAN_V2
from tests.support.photos import client, photo_b64
from tests.support.server import EmulatorProcess


def _requests() -> dict[str, tuple[str, dict[str, Any]]]:
    config = {"seed": 11, "numberOfImages": 2}
    return {
        "background removal": (
            NOVA,
            {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": photo_b64("coffee")}},
        ),
        "titan v2 background removal": (
            TITAN_V2,
            {"taskType": "BACKGROUND_REMOVAL", "backgroundRemovalParams": {"image": photo_b64("camera")}},
        ),
        "mask prompt": (
            NOVA,
            {
                "taskType": "INPAINTING",
                "inPaintingParams": {"image": photo_b64("chelsea"), "maskPrompt": "cat", "text": "a fox"},
                "imageGenerationConfig": config,
            },
        ),
        "try-on": (
            NOVA,
            {
                "taskType": "VIRTUAL_TRY_ON",
                "virtualTryOnParams": {
                    "sourceImage": photo_b64("astronaut"),
                    "referenceImage": photo_b64("composite_cup_on_grass"),
                    "maskType": "GARMENT",
                    "garmentBasedMask": {"garmentClass": "UPPER_BODY"},
                    "returnMask": True,
                },
                "imageGenerationConfig": config,
            },
        ),
        "canny": (
            NOVA,
            {
                "taskType": "TEXT_IMAGE",
                "textToImageParams": {
                    "text": "a lighthouse",
                    "conditionImage": photo_b64("rocket"),
                    "controlMode": "CANNY_EDGE",
                },
                "imageGenerationConfig": {**config, "width": 512, "height": 512},
            },
        ),
    }


def _answers(url: str) -> dict[str, dict[str, Any]]:
    bedrock = client(url)
    out = {}
    for name, (model, body) in _requests().items():
        response = bedrock.invoke_model(modelId=model, body=json.dumps(body))
        answer = json.loads(response["body"].read())
        answer.pop("finishReasons", None)
        out[name] = answer
    return out


def _first_of_one(url: str) -> dict[str, str]:
    """Image 0 of each generating request sent with numberOfImages 1 (a different body: no response cache)."""
    bedrock = client(url)
    out = {}
    for name, (model, body) in _requests().items():
        if "imageGenerationConfig" not in body:
            continue
        single = {**body, "imageGenerationConfig": {**body["imageGenerationConfig"], "numberOfImages": 1}}
        response = bedrock.invoke_model(modelId=model, body=json.dumps(single))
        out[name] = json.loads(response["body"].read())["images"][0]
    return out


@pytest.fixture(scope="module")
def first(photo_server: EmulatorProcess) -> dict[str, dict[str, Any]]:
    return _answers(photo_server.url)


def test_same_request_same_bytes_in_one_server(photo_server: EmulatorProcess, first: dict[str, Any]) -> None:
    for name, image in _first_of_one(photo_server.url).items():
        assert image == first[name]["images"][0], name
        assert base64.b64decode(image)[:8] == b"\x89PNG\r\n\x1a\n"


def test_same_bytes_across_servers_and_restarts(tmp_path: Path, first: dict[str, Any]) -> None:
    env = {"NOVA_EMULATOR_WORKERS": "2"}
    for attempt in ("other", "restarted"):
        server = EmulatorProcess.start(tmp_path / f"{attempt}.log", env=env)
        try:
            assert _answers(server.url) == first, attempt
        finally:
            server.stop()
