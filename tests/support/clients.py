"""Clients of the real server: boto3, the JavaScript SDK v3, the test double's control API, Chromium.

Node/npm, the AWS CLI and Chromium are optional locally (tests skip), but in CI `NOVA_REQUIRE_ALL_CLIENTS=1`
turns a missing tool into a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, NoReturn

import boto3
import httpx
import pytest
from botocore.config import Config

from emulator.client import EmulatorControl
from tests.support.bodies import NOVA
from tests.support.server import ROOT
from validator import messages

JS_DIR = ROOT / "tests" / "clients" / "js"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
FAST_RETRIES = Config(retries={"mode": "standard", "max_attempts": 1}, read_timeout=120)
FAULT_HEADER = "x-fault-case"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_all_clients() -> bool:
    """In CI every client must be present: a missing tool fails instead of skipping."""
    return os.environ.get("NOVA_REQUIRE_ALL_CLIENTS", "") == "1"


def missing_tool(what: str) -> NoReturn:
    """Skip locally; fail in CI, where NOVA_REQUIRE_ALL_CLIENTS=1 says every client must be present."""
    if require_all_clients():
        pytest.fail(f"{what} is required when NOVA_REQUIRE_ALL_CLIENTS=1")
    pytest.skip(f"{what} not available")


def chromium_path() -> str:
    """Debian's Chromium (installed by `.ci/run`); `missing_tool` decides what its absence means."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        missing_tool("chromium (apt-get install chromium)")
    return str(found)


def bedrock_client(url: str, **kwargs: Any) -> Any:
    """A boto3 bedrock-runtime client for the emulator: dummy credentials, one attempt (docs/CONTRACT.md
    §8.6)."""
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


def invoke(client: Any, body: str, model: str = NOVA) -> dict[str, Any]:
    """InvokeModel through boto3; returns the decoded JSON body."""
    response = client.invoke_model(modelId=model, body=body)
    return dict(json.loads(response["body"].read()))


def install_fault_rules(url: str) -> None:
    """Through the test double's control API: a header `x-fault-case: <Name>` forces that exception of
    docs/CONTRACT.md §2.9."""
    rules = [
        {"name": f"force {name}", "match": {"header": {"name": FAULT_HEADER, "pattern": f"^{name}$"}},
         "action": {"error": name}}
        for name in messages.EXCEPTION_STATUS
    ]  # fmt: skip
    response = httpx.post(f"{url}/_emulator/rules", json=rules, timeout=10)
    assert response.status_code == 201, response.text


def wait_for_journal(control: EmulatorControl, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
    """The journal once it holds at least `count` entries (entries of stalled calls land late)."""
    deadline = time.monotonic() + timeout
    while True:
        entries = control.journal()
        if len(entries) >= count or time.monotonic() > deadline:
            return entries
        time.sleep(0.05)


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
