"""The AWS CLI v1 against the real server (docs/CONTRACT.md §9): `aws bedrock-runtime invoke-model`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.bodies import NOVA, text_image
from tests.support.clients import missing_tool
from tests.support.responses import check_success
from tests.support.server import subprocess_env
from validator import messages


def aws_binary() -> str:
    """The CLI installed next to this interpreter, else the one on PATH."""
    local = Path(sys.executable).parent / "aws"
    found = str(local) if local.exists() else shutil.which("aws")
    if found is None:
        missing_tool("the AWS CLI (aws)")
    return str(found)


def run_cli(emulator: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = subprocess_env(
        {
            "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
            "AWS_SECRET_ACCESS_KEY": "secret",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_MAX_ATTEMPTS": "1",
            "AWS_RETRY_MODE": "standard",
        }
    )
    command = [aws_binary(), "bedrock-runtime", "invoke-model", "--endpoint-url", emulator.url, *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def test_invoke_model_writes_the_body(emulator: Any, tmp_path: Path) -> None:
    out = tmp_path / "out.json"
    body = text_image()
    result = run_cli(emulator, "--model-id", NOVA, "--body", body.decode(), str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"contentType": "application/json"}
    check_success(NOVA, body, out.read_bytes())


def test_fileb_body_keeps_its_trailing_newline(emulator: Any, tmp_path: Path) -> None:
    """`fileb://` sends the file as is, newline included; whitespace around the JSON value is fine
    (docs/CONTRACT.md §2.6)."""
    source = tmp_path / "body.json"
    source.write_bytes(text_image() + b"\n")
    out = tmp_path / "out.json"
    result = run_cli(emulator, "--model-id", NOVA, "--body", f"fileb://{source}", str(out))
    assert result.returncode == 0, result.stderr
    assert len(json.loads(out.read_bytes())["images"]) == 1


def test_error_is_reported_with_its_code_and_message(emulator: Any, tmp_path: Path) -> None:
    result = run_cli(
        emulator, "--model-id", "amazon.nova-lite-v1:0", "--body", "{}", str(tmp_path / "o.json")
    )
    assert result.returncode != 0
    assert "An error occurred (ValidationException) when calling the InvokeModel operation" in result.stderr
    assert result.stderr.strip().endswith(": " + messages.INVALID_MODEL_ID)


@pytest.mark.parametrize("accept", ["application/json", "*/*"])
def test_accept_option(emulator: Any, tmp_path: Path, accept: str) -> None:
    out = tmp_path / "out.json"
    args = ["--model-id", NOVA, "--accept", accept, "--content-type", "application/json"]
    result = run_cli(emulator, *args, "--body", text_image().decode(), str(out))
    assert result.returncode == 0, result.stderr
