"""Fixtures for the validator tests: fixture images as base64."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.support.fixtures import fixture_image_b64


@pytest.fixture
def b64() -> Callable[[str], str]:
    """Base64 of a file in fixtures/images."""
    return fixture_image_b64
