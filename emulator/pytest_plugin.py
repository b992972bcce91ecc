"""pytest plugin (entry point `nova_canvas_emulator`): an emulator for the test session, and clients for it.

Fixtures:

* `nova_emulator` (session): the real server (`python -m emulator`, Granian) on a free port, started once.
  Override `nova_emulator_settings` (session-scoped, `NOVA_EMULATOR_*` names without the prefix → values)
  to configure it, e.g. `{"workers": "2", "blocked_words": "forbidden"}`.
* `nova_emulator_control` (function): an `EmulatorControl` for that server, after resetting it to its start
  state (rules, filters, lifecycle, counters, journal), so every test starts clean.
* `bedrock_runtime` (function): a boto3 `bedrock-runtime` client pointed at the server, dummy credentials,
  region us-east-1, standard retry mode with 3 attempts in all and a 10 s read timeout. Depends on
  `nova_emulator_control`, so the server is reset for the test too.

This is the only module of the package that imports pytest; boto3 is imported only when a client is asked for,
so installing the package never breaks a test run that has no boto3.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from emulator.client import EmulatorControl

START_TIMEOUT_S = 60.0
DEFAULT_READ_TIMEOUT_S = 10.0
ENV_PREFIX = "NOVA_EMULATOR_"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmulatorServer:
    """A running emulator subprocess: its URL, a control client, boto3 clients, and its log."""

    def __init__(self, settings: Mapping[str, str], log_dir: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_dir / "nova-canvas-emulator.log"
        env = dict(os.environ)
        env.update({ENV_PREFIX + key.upper(): str(value) for key, value in settings.items()})
        env.setdefault(ENV_PREFIX + "ACCESS_LOG", "false")
        # Shared state inside the session's temporary directory, so it is removed with it.
        env.setdefault(ENV_PREFIX + "STATE_PATH", str(log_dir / "state.sqlite3"))
        token = env.get(ENV_PREFIX + "CONTROL_TOKEN")
        self.control = EmulatorControl(self.url, token=token)
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", str(self.port)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=env,
            )

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Block until `/_emulator/health` answers; fail with the server's log if it dies or never answers."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.process.returncode}:\n{self.log()}")
            try:
                with urllib.request.urlopen(f"{self.url}/_emulator/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"the emulator did not answer within {timeout:.0f}s:\n{self.log()}")

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Terminate the server (SIGTERM, then SIGKILL after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def bedrock_client(
        self,
        *,
        mode: str = "standard",
        total_attempts: int = 3,
        read_timeout: float = DEFAULT_READ_TIMEOUT_S,
        connect_timeout: float = 5.0,
    ) -> Any:
        """A boto3 `bedrock-runtime` client for this server with the given retry mode and timeouts.

        `total_attempts` counts the first attempt too (botocore's `total_max_attempts`); botocore's own
        `max_attempts` key counts retries only, so `max_attempts: 3` would mean four attempts.
        """
        try:
            import boto3
            from botocore.config import Config
        except ImportError:  # pragma: no cover - depends on the environment
            pytest.skip("boto3 is not installed")
        config = Config(
            retries={"mode": mode, "total_max_attempts": total_attempts},
            read_timeout=read_timeout,
            connect_timeout=connect_timeout,
        )
        return boto3.client(
            "bedrock-runtime",
            endpoint_url=self.url,
            region_name="us-east-1",
            aws_access_key_id="AKIAEMULATORTEST0000",
            aws_secret_access_key="emulator-secret-key",
            config=config,
        )


@pytest.fixture(scope="session")
def nova_emulator_settings() -> Mapping[str, str]:
    """Settings for the session's emulator (override in a conftest.py); none by default."""
    return {}


@pytest.fixture(scope="session")
def nova_emulator(nova_emulator_settings: Mapping[str, str]) -> Iterator[EmulatorServer]:
    """The real emulator server, started once per test session on a free port."""
    with tempfile.TemporaryDirectory(prefix="nova-emulator-pytest-") as log_dir:
        server = start_server(nova_emulator_settings, Path(log_dir))
        try:
            yield server
        finally:
            server.stop()


def start_server(settings: Mapping[str, str], log_dir: Path, tries: int = 3) -> EmulatorServer:
    """Start a server and wait for it; a fresh port is tried when one start fails (another process may
    have taken the free port between the probe and the bind)."""
    for attempt in range(1, tries + 1):
        server = EmulatorServer(settings, log_dir)
        try:
            server.wait_ready()
            return server
        except RuntimeError:
            server.stop()
            if attempt == tries:
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def nova_emulator_control(nova_emulator: EmulatorServer) -> EmulatorControl:
    """The control client, with the server reset to its start state before the test."""
    nova_emulator.control.reset()
    return nova_emulator.control


@pytest.fixture
def bedrock_runtime(nova_emulator: EmulatorServer, nova_emulator_control: EmulatorControl) -> Any:
    """A boto3 `bedrock-runtime` client for the (freshly reset) session emulator."""
    return nova_emulator.bedrock_client()
