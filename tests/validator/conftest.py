"""Helpers for the validator tests: fixture images as base64, and exact-message assertions."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from tests.validator.fixture_cases import image_base64
from validator import validate_request


@pytest.fixture
def b64() -> Callable[[str], str]:
    """Base64 of a file in fixtures/images."""
    return image_base64


def message_for(body: Any, model: str = "amazon.nova-canvas-v1:0", **kwargs: Any) -> str:
    """The one error message Bedrock would return for `body` (asserts the request is rejected)."""
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    report = validate_request(raw, model, **kwargs)
    assert report.error is not None, "expected a rejection"
    assert (report.error.exception, report.error.status) == ("ValidationException", 400)
    return report.error.message
