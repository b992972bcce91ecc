"""One real server (console script, Granian) for the photo tests, and a boto3 client for it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.photos import client
from tests.support.server import EmulatorProcess


@pytest.fixture(scope="session")
def photo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    server = EmulatorProcess.start(tmp_path_factory.mktemp("photos") / "server.log")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bedrock(photo_server: EmulatorProcess) -> Any:
    return client(photo_server.url)
