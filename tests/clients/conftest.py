"""Fixtures for the real-client tests: the REAL server (console script, Granian) as a subprocess, and clients.

The server starts once per session on a free port; the fixture waits for its ready line.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config

from tests.support.clients import JS_DIR, bedrock_client, install_fault_rules, missing_tool
from tests.support.server import EmulatorProcess, start_server
from tests.support.stability import STABILITY_BLOCKED_WORD


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """The default emulator with an application-profile alias, and fault rules keyed on a test header."""
    env = {
        "NOVA_EMULATOR_MODEL_ALIASES": (
            "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/a1b2c3d4e5f6="
            "amazon.nova-canvas-v1:0"
        ),
    }
    server = start_server(tmp_path_factory.mktemp("emulator"), "default", env=env, access_log=True)
    install_fault_rules(server.url)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def bedrock(emulator: EmulatorProcess) -> Any:
    """A boto3 client pointed at the session emulator with `endpoint_url`."""
    return bedrock_client(emulator.url)


@pytest.fixture(scope="session")
def stability_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    """An emulator serving the Stability AI models, the retired ids included (D-S1), with a blocked word."""
    env = {"NOVA_EMULATOR_HISTORIC_MODELS": "true", "NOVA_EMULATOR_BLOCKED_WORDS": STABILITY_BLOCKED_WORD}
    server = start_server(tmp_path_factory.mktemp("stability"), "stability", env=env, access_log=True)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def stability_bedrock(stability_emulator: EmulatorProcess) -> Any:
    """A boto3 client for the Stability server; a long read timeout for the 4096-pixel upscales."""
    return bedrock_client(
        stability_emulator.url, config=Config(retries={"total_max_attempts": 1}, read_timeout=300)
    )


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """`npm ci` the JS SDK once (node_modules is not committed); skip or fail when node/npm are missing."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        missing_tool("node and npm")
    if not (JS_DIR / "node_modules" / "@aws-sdk" / "client-bedrock-runtime").exists():
        try:
            command = ["npm", "ci", "--no-audit", "--no-fund"]
            result = subprocess.run(command, cwd=JS_DIR, capture_output=True, text=True, timeout=300)
        except subprocess.TimeoutExpired:
            missing_tool("the JS SDK (npm ci timed out: is the npm registry reachable?)")
        if result.returncode != 0:  # an unreachable registry is a missing tool, not a failure of the emulator
            missing_tool(f"the JS SDK (npm ci failed):\n{result.stdout}\n{result.stderr}")
    return JS_DIR / "node_modules"
