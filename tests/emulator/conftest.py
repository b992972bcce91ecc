"""Fixtures for the emulator's unit tests: an app from the factory and its test client (no sockets)."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from emulator import EmulatorConfig, create_app


@pytest.fixture
def config() -> EmulatorConfig:
    return EmulatorConfig(access_log=False)


@pytest.fixture
def app(config: EmulatorConfig) -> Flask:
    return create_app(config)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()
