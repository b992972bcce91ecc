"""Helpers for the real-client tests: the REAL server as a subprocess, boto3 clients, the JS SDK runner.

Node/npm and the AWS CLI are optional locally (tests skip), but in CI `NOVA_REQUIRE_ALL_CLIENTS=1` turns a
missing tool into a failure.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config

JS_DIR = Path(__file__).parent / "js"
READY_MARK = "nova-canvas-emulator ready on "
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
FAST_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=120)


def require_all_clients() -> bool:
    """In CI every client must be present: a missing tool fails instead of skipping."""
    return os.environ.get("NOVA_REQUIRE_ALL_CLIENTS", "") == "1"


def missing_tool(what: str) -> None:
    """Skip locally, fail in CI."""
    if require_all_clients():
        pytest.fail(f"{what} is required when NOVA_REQUIRE_ALL_CLIENTS=1")
    pytest.skip(f"{what} not available")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command() -> list[str]:
    """The console script next to this interpreter, or `python -m emulator` when it is not installed."""
    script = Path(sys.executable).parent / "nova-canvas-emulator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]


def subprocess_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment without NOVA_EMULATOR_* leaking in from the caller, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NOVA_EMULATOR_")}
    env.update(extra or {})
    return env


class EmulatorProcess:
    """A running `nova-canvas-emulator` subprocess; output goes to a log file (never a full pipe)."""

    def __init__(self, log_path: Path, args: list[str], env: Mapping[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [*server_command(), "--port", str(self.port), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=subprocess_env(env),
            cwd=Path(__file__).parents[2],
        )

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> str:
        """Block until the ready line appears; return it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log().splitlines():
                if line.startswith(READY_MARK):
                    return line
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal the server (our own child, by pid) and return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)


def start_emulator(tmp: Path, name: str, args: list[str] | None = None, env: Mapping[str, str] | None = None):
    """Start a server and wait for its ready line."""
    server = EmulatorProcess(tmp / f"{name}.log", args or [], env)
    try:
        server.wait_ready()
    except RuntimeError:
        server.stop(signal.SIGKILL)
        raise
    return server


FAULT_HEADER = "x-fault-case"


def install_fault_rules(url: str) -> None:
    """Through the test double's control API: a header `x-fault-case: <Name>` forces that §2.9 exception."""
    from validator import messages

    rules = [
        {"name": f"force {name}", "match": {"header": {"name": FAULT_HEADER, "pattern": f"^{name}$"}},
         "action": {"error": name}}
        for name in messages.EXCEPTION_STATUS
    ]  # fmt: skip
    response = httpx.post(f"{url}/_emulator/rules", json=rules, timeout=10)
    assert response.status_code == 201, response.text


def make_client(url: str, **kwargs: Any) -> Any:
    """A boto3 bedrock-runtime client for the emulator: dummy credentials, one attempt (§8.6)."""
    options: dict[str, Any] = {
        "endpoint_url": url,
        "region_name": "us-east-1",
        "aws_access_key_id": ACCESS_KEY,
        "aws_secret_access_key": SECRET_KEY,
        "config": FAST_RETRIES,
    }
    options.update(kwargs)
    return boto3.client("bedrock-runtime", **options)


def add_header(client: Any, name: str, value: str) -> None:
    """Send an extra header on every InvokeModel call of `client` (added before signing)."""

    def _add(request: Any, **_: Any) -> None:
        request.headers[name] = value

    client.meta.events.register("before-sign.bedrock-runtime.*", _add)


def run_js_cases(
    node_modules: Path,
    endpoint: str,
    cases: list[dict[str, Any]],
    tmp: Path,
    credentials: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run InvokeModel cases through the JS SDK v3 (default HTTP/2 handler); results keyed by case id."""
    spec = tmp / "cases.json"
    payload: dict[str, Any] = {"endpoint": endpoint, "cases": cases}
    if credentials is not None:
        payload["credentials"] = credentials
    spec.write_text(json.dumps(payload))
    result = subprocess.run(
        ["node", str(JS_DIR / "run_cases.mjs"), str(spec)],
        cwd=JS_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return {item["id"]: item for item in json.loads(result.stdout)}
