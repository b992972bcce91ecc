"""Helpers for the real-client tests: the REAL server as a subprocess (`tests/server_process.py`), boto3
clients, the JS SDK runner.

Node/npm and the AWS CLI are optional locally (tests skip), but in CI `NOVA_REQUIRE_ALL_CLIENTS=1` turns a
missing tool into a failure.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import boto3
import httpx
from botocore.config import Config

from tests.server_process import EmulatorProcess

JS_DIR = Path(__file__).parent / "js"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
FAST_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=120)


def start_emulator(
    tmp: Path, name: str, args: list[str] | None = None, env: Mapping[str, str] | None = None
) -> EmulatorProcess:
    """Start a server logging to `<tmp>/<name>.log` and wait for its ready line."""
    return EmulatorProcess.start(tmp / f"{name}.log", args or [], env)


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
