"""Fixtures for the reliability suite: real servers (subprocesses on free loopback ports), started once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import EmulatorProcess, start_server


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The default emulator, one worker; checked alive after every test module that uses it."""
    srv = start_server(tmp_path_factory.mktemp("reliability"), "default")
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def server2(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The emulator with `--workers 2` (soak, concurrent large bodies)."""
    srv = start_server(tmp_path_factory.mktemp("reliability"), "workers2", ["--workers", "2"])
    yield srv
    srv.stop()
