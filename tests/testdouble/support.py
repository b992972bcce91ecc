"""Shared request bodies and helpers for the test-double tests."""

from __future__ import annotations

import json
import time
from typing import Any

from emulator.client import EmulatorControl

NOVA = "amazon.nova-canvas-v1:0"
TITAN_V2 = "amazon.titan-image-generator-v2:0"


def text_body(text: str = "a lighthouse at dawn", number: int = 1, **extra: Any) -> str:
    """A small, valid TEXT_IMAGE body (320x320 keeps generation fast)."""
    params: dict[str, Any] = {"text": text, **extra}
    config = {"width": 320, "height": 320, "numberOfImages": number}
    return json.dumps(
        {"taskType": "TEXT_IMAGE", "textToImageParams": params, "imageGenerationConfig": config}
    )


def titan_body(text: str = "a lighthouse at dawn") -> str:
    """A small, valid Titan v2 TEXT_IMAGE body."""
    config = {"width": 512, "height": 512, "numberOfImages": 1}
    return json.dumps(
        {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": text}, "imageGenerationConfig": config}
    )


def invoke(client: Any, body: str, model: str = NOVA) -> dict[str, Any]:
    """InvokeModel through boto3; returns the decoded JSON body."""
    response = client.invoke_model(modelId=model, body=body)
    return dict(json.loads(response["body"].read()))


def wait_for_journal(control: EmulatorControl, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The journal once it holds at least `count` entries (entries of stalled calls land late)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = control.journal()
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


def png_base64(width: int = 320, height: int = 320, text_chunk: str | None = None) -> str:
    """A valid RGB PNG as base64, optionally with a tEXt chunk (to carry a blocking marker)."""
    import base64
    import io

    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    if text_chunk is not None:
        info.add_text("comment", text_chunk)
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(buffer, format="PNG", pnginfo=info)
    return base64.b64encode(buffer.getvalue()).decode()


def variation_body(image: str, text: str | None = None) -> str:
    """A Nova IMAGE_VARIATION body around one input image."""
    params: dict[str, Any] = {"images": [image]}
    if text is not None:
        params["text"] = text
    config = {"width": 320, "height": 320, "numberOfImages": 1}
    return json.dumps(
        {"taskType": "IMAGE_VARIATION", "imageVariationParams": params, "imageGenerationConfig": config}
    )
