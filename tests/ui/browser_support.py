"""The REAL server for the browser test: the console script as a subprocess, as tests/clients starts it.

Duplicated in small from `tests/clients/client_support.py` (those helpers are not importable from here:
`tests/clients` is not a package): a free port, the server's output in a log file, and its ready line.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

import pytest

READY_MARK = "nova-canvas-emulator ready on "
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require(what: str) -> None:
    """Skip locally; fail in CI, where NOVA_REQUIRE_ALL_CLIENTS=1 says every client must be present."""
    if os.environ.get("NOVA_REQUIRE_ALL_CLIENTS", "") == "1":
        pytest.fail(f"{what} is required when NOVA_REQUIRE_ALL_CLIENTS=1")
    pytest.skip(f"{what} not available")


def chromium_path() -> str:
    """Debian's Chromium (installed by `.ci/run`); `require` decides what its absence means."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        require("chromium (apt-get install chromium)")
    return str(found)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server_command() -> list[str]:
    script = Path(sys.executable).parent / "nova-canvas-emulator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]


class Server:
    """A running emulator subprocess on a free port; stop() signals it by pid."""

    def __init__(self, log_path: Path, env: Mapping[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        clean = {k: v for k, v in os.environ.items() if not k.startswith("NOVA_EMULATOR_")}
        self.proc = subprocess.Popen(
            [*_server_command(), "--port", str(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**clean, **env},
            cwd=Path(__file__).parents[2],
        )

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Block until the ready line appears."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if READY_MARK in self.log_path.read_text(errors="replace"):
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"server not ready:\n{self.log_path.read_text(errors='replace')}")

    def stop(self) -> None:
        """SIGTERM our own child, then SIGKILL if it lingers."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
