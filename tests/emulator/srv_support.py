"""Helpers for the emulator's unit tests: recording hooks, and swapping hooks on a built app."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from flask import Flask, Response
from werkzeug.test import TestResponse

from emulator.call import Call
from emulator.hooks import NoHooks
from emulator.state import STATE_KEY
from validator import messages
from validator.report import BedrockError
from validator.types import InvokeRequest

NOVA_PATH = "/model/amazon.nova-canvas-v1%3A0/invoke"
TEXT_IMAGE = (
    b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a cat"},'
    b'"imageGenerationConfig":{"width":320,"height":320,"numberOfImages":3}}'
)


class RecordingHooks(NoHooks):
    """Hooks that record every call, and can answer with a preset error or blocked set at any point."""

    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.seen: list[str] = []
        self.calls: list[Call] = []

    def _answer(self, name: str) -> Any:
        self.seen.append(name)
        return self.answers.get(name)

    def lifecycle(self, call: Call) -> BedrockError | None:
        return self._answer("lifecycle")  # type: ignore[no-any-return]

    def before_body(self, call: Call) -> BedrockError | None:
        return self._answer("before_body")  # type: ignore[no-any-return]

    def after_parse(self, call: Call, body: Mapping[str, object]) -> BedrockError | None:
        return self._answer("after_parse")  # type: ignore[no-any-return]

    def moderate_input(self, call: Call, request: InvokeRequest) -> BedrockError | None:
        return self._answer("moderate_input")  # type: ignore[no-any-return]

    def blocked_images(self, call: Call, request: InvokeRequest) -> frozenset[int]:
        return self._answer("blocked_images") or frozenset()  # type: ignore[no-any-return]

    def finalize(self, call: Call, response: Response) -> Response:
        self.seen.append("finalize")
        self.calls.append(call)
        return response


def with_hooks(app: Flask, hooks: Any) -> Flask:
    """Swap the test double's hooks for `hooks` on a built app."""
    app.extensions[STATE_KEY] = replace(app.extensions[STATE_KEY], hooks=hooks)
    return app


def assert_error(response: TestResponse, name: str, status: int, message: str) -> None:
    """Status, x-amzn-ErrorType, content type, request id and the exact compact body of an error
    (docs/CONTRACT.md §2.8)."""
    assert response.status_code == status
    assert response.headers["x-amzn-ErrorType"] == name + messages.ERROR_TYPE_SUFFIX
    assert response.headers["Content-Type"] == "application/json"
    assert len(response.headers["x-amzn-RequestId"]) == 36
    assert response.data == json.dumps({"message": message}, separators=(",", ":")).encode()
