"""pytest plugin (entry point `nova_canvas_emulator`): an emulator for the test session, and clients for it.

Fixtures:

* `nova_emulator` (session): the real server (`python -P -m emulator`, Granian) on a free port, started once
  and stopped (its whole process group) at the end of the session. Override `nova_emulator_settings`
  (session-scoped, setting names → values: text, numbers, booleans, lists or mappings) to configure it, e.g.
  `{"workers": 2, "blocked_words": ["forbidden"]}`.
* `nova_emulator_control` (function): an `EmulatorControl` for that server, after resetting it to its start
  state (rules, filters, lifecycle, counters, journal), so every test starts clean.
* `bedrock_runtime` (function): a boto3 `bedrock-runtime` client pointed at the server, dummy credentials,
  region us-east-1, standard retry mode with 3 attempts in all and a 10 s read timeout. Depends on
  `nova_emulator_control`, so the server is reset for the test too.

This is the only module of the package that imports pytest; boto3 is imported only when a client is asked for,
so installing the package never breaks a test run that has no boto3. Nothing else is imported from the
user's side: the server runs in a separate process that does not see the user's folder on its import path.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from emulator.client import EmulatorControl

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0  # longer than the server's own shutdown bound, so a SIGKILL is the exception
DEFAULT_READ_TIMEOUT_S = 10.0
ENV_PREFIX = "NOVA_EMULATOR_"
READY_LINE = re.compile(rb"nova-canvas-emulator ready on (http://\S+)")


def setting_text(value: object) -> str:
    """A setting as an environment variable's text: lists and mappings as JSON, booleans as true/false."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple | set | frozenset):
        return json.dumps(sorted(value) if isinstance(value, set | frozenset) else list(value))
    if isinstance(value, Mapping):
        return json.dumps(dict(value))
    return str(value)


def server_command() -> list[str]:
    """`python -P -m emulator` on a port the system picks: `-P` keeps the working directory (the user's
    project, which may hold its own `validator.py` or `emulator.py`) off the server's import path."""
    return [sys.executable, "-P", "-m", "emulator", "--host", "127.0.0.1", "--port", "0"]


class EmulatorServer:
    """A running emulator subprocess: its URL, a control client, boto3 clients, and its log.

    The server runs in its own process group, started from the log directory (never the user's folder), and
    picks its own free port, which it reports in its ready line.
    """

    def __init__(self, settings: Mapping[str, object], log_dir: Path) -> None:
        self.log_path = log_dir / "nova-canvas-emulator.log"
        env = dict(os.environ)
        env.update({ENV_PREFIX + key.upper(): setting_text(value) for key, value in settings.items()})
        env.setdefault(ENV_PREFIX + "ACCESS_LOG", "false")
        # Shared state inside the session's temporary directory, so it is removed with it.
        env.setdefault(ENV_PREFIX + "STATE_PATH", str(log_dir / "state.sqlite3"))
        self._token = env.get(ENV_PREFIX + "CONTROL_TOKEN")
        self.url = ""
        self.port = 0
        with self.log_path.open("wb") as log:
            self.process = subprocess.Popen(
                server_command(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=env,
                cwd=log_dir,
                start_new_session=True,
            )

    @property
    def control(self) -> EmulatorControl:
        """A control client for this server (after `wait_ready`)."""
        return EmulatorControl(self.url, token=self._token)

    def wait_ready(self, timeout: float = START_TIMEOUT_S) -> None:
        """Block until the server prints its ready line; fail with its log if it exits or never gets ready."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            match = READY_LINE.search(self.log_path.read_bytes())
            if match:
                self.url = match.group(1).decode("ascii")
                self.port = int(self.url.rsplit(":", 1)[1])
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"the emulator exited with {self.process.returncode}:\n{self.log()}")
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"the emulator was not ready within {timeout:.0f}s:\n{self.log()}")

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        """Stop the server's whole process group (SIGTERM; SIGKILL if it is still there after
        STOP_TIMEOUT_S), so no worker outlives the session."""
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            pass
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
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
def nova_emulator_settings() -> Mapping[str, object]:
    """Settings for the session's emulator (override in a conftest.py); none by default."""
    return {}


@pytest.fixture(scope="session")
def nova_emulator(nova_emulator_settings: Mapping[str, object]) -> Iterator[EmulatorServer]:
    """The real emulator server, started once per test session on a free port."""
    with tempfile.TemporaryDirectory(prefix="nova-emulator-pytest-") as log_dir:
        server = start_server(nova_emulator_settings, Path(log_dir))
        try:
            yield server
        finally:
            server.stop()


def start_server(settings: Mapping[str, object], log_dir: Path) -> EmulatorServer:
    """Start a server and wait for its ready line (the server picks its own free port: no retry needed)."""
    server = EmulatorServer(settings, log_dir)
    try:
        server.wait_ready()
    except RuntimeError:
        server.stop()
        raise
    return server


@pytest.fixture
def nova_emulator_control(nova_emulator: EmulatorServer) -> EmulatorControl:
    """The control client, with the server reset to its start state before the test."""
    nova_emulator.control.reset()
    return nova_emulator.control


@pytest.fixture
def bedrock_runtime(nova_emulator: EmulatorServer, nova_emulator_control: EmulatorControl) -> Any:
    """A boto3 `bedrock-runtime` client for the (freshly reset) session emulator."""
    return nova_emulator.bedrock_client()
