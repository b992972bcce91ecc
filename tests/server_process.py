"""The REAL emulator server as a subprocess, shared by tests/clients, tests/reliability, tests/ui and bench/.

The console script (Granian) on a port it picks itself (`--port 0`, read from its ready line), its output in
a log file (never a full pipe), readiness from its ready line, stopped by signalling our own child by pid. The
server's environment is the test's without `NOVA_EMULATOR_*` leaking in from the caller, with the checkout
root first on PYTHONPATH (the server runs the code next to these tests, even if another checkout is installed
in the venv) and the test double's SQLite state next to the log (pytest's tmp dirs are pruned; the
emulator's own default, a fresh /tmp/nova-canvas-emulator-* directory per start, is removed when the server
stops, or by the next start when it was killed).

Importable as `tests.server_process` from every test directory: pyproject.toml puts the checkout root on
pytest's `pythonpath`. `emulator/pytest_plugin.py` is the public counterpart for users' test suites.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NoReturn, Self

import pytest

ROOT = Path(__file__).resolve().parents[1]
READY_MARK = "nova-canvas-emulator ready on "
ENV_PREFIX = "NOVA_EMULATOR_"
STATE_PATH = ENV_PREFIX + "STATE_PATH"


def free_port() -> int:
    """A TCP port nobody listens on right now (`--port 0`, reported in the ready line, avoids the race)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_all_clients() -> bool:
    """In CI every client must be present: a missing tool fails instead of skipping."""
    return os.environ.get("NOVA_REQUIRE_ALL_CLIENTS", "") == "1"


def missing_tool(what: str) -> NoReturn:
    """Skip locally; fail in CI, where NOVA_REQUIRE_ALL_CLIENTS=1 says every client must be present."""
    if require_all_clients():
        pytest.fail(f"{what} is required when NOVA_REQUIRE_ALL_CLIENTS=1")
    pytest.skip(f"{what} not available")


def server_command() -> list[str]:
    """The console script next to this interpreter, or `python -m emulator` when it is not installed."""
    script = Path(sys.executable).parent / "nova-canvas-emulator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]


def subprocess_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The test's environment without NOVA_EMULATOR_* leaking in from the caller, the checkout root first on
    PYTHONPATH, plus `extra` (a None value leaves that variable unset)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def server_env(log_path: Path, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """`subprocess_env` for a server logging to `log_path`: its state next to the log unless `extra` sets
    NOVA_EMULATOR_STATE_PATH (to a path, or to None for the emulator's own default)."""
    return subprocess_env({STATE_PATH: str(log_path.with_suffix(".state.sqlite3")), **(extra or {})})


class EmulatorProcess:
    """A running `nova-canvas-emulator` (our own child process); output goes to a log file."""

    def __init__(
        self, log_path: Path, args: Sequence[str] = (), env: Mapping[str, str | None] | None = None
    ) -> None:
        # `--port 0`: the server binds a port the system picks and reports it in its ready line (no race with
        # another process between choosing a free port and binding it); `wait_ready` reads it.
        self.port = 0
        self.url = ""
        if "--port" not in args:
            args = ["--port", "0", *args]
        self.log_path = log_path
        environ = server_env(log_path, env)
        # The test double's SQLite file; None when the emulator picks its own (the setting left unset).
        self.state_path = Path(environ[STATE_PATH]) if STATE_PATH in environ else None
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [*server_command(), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=ROOT,
        )

    @classmethod
    def start(
        cls, log_path: Path, args: Sequence[str] = (), env: Mapping[str, str | None] | None = None
    ) -> Self:
        """Start a server and wait for its ready line (stopped again if it never gets ready)."""
        server = cls(log_path, args, env)
        try:
            server.wait_ready()
        except RuntimeError:
            server.stop(timeout=5)
            raise
        return server

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> str:
        """Block until the ready line appears; return it (and take the port it reports)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log().splitlines():
                if line.startswith(READY_MARK):
                    self.port = int(line.rsplit(":", 1)[1])
                    self.url = f"http://127.0.0.1:{self.port}"
                    return line
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal our own child (by pid), SIGKILL it if it does not exit in time; return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)
