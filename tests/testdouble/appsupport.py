"""A Flask test client over `create_app` with an in-memory test double (no sockets)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flask.testing import FlaskClient

from emulator.app import create_app
from emulator.config import EmulatorConfig
from tests.testdouble.support import NOVA


def make_client(settings: Mapping[str, object] | None = None) -> FlaskClient:
    """A test client for an emulator whose test double keeps its state in memory."""
    values: dict[str, object] = {"access_log": "false", "state_path": ":memory:", **(settings or {})}
    return create_app(EmulatorConfig.from_mapping(values)).test_client()


def post_invoke(client: FlaskClient, body: str | bytes, model: str = NOVA, **headers: str) -> Any:
    """POST InvokeModel; returns the test response."""
    return client.post(f"/model/{model}/invoke", data=body, headers=headers)


def message(response: Any) -> str:
    """The `message` of a JSON error body."""
    return str(json.loads(response.data)["message"])


def error_type(response: Any) -> str:
    """The exception name from `x-amzn-ErrorType`."""
    return str(response.headers.get("x-amzn-ErrorType", "")).split(":", 1)[0]
