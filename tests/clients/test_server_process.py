"""The console script as users run it: ready line, health, one log line per request, configuration sources,
several workers, and a clean exit on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx

from tests.support.bodies import NOVA, TITAN_V2, text_image
from tests.support.server import READY_MARK, server_command, start_server, subprocess_env
from validator.stability.models import StabilityModel
from validator.types import ModelId

#: Nova, Titan and the active Stability AI models; the historic ones only with `historic_models` on.
HISTORIC = {
    StabilityModel.ULTRA_V1_0,
    StabilityModel.CORE_V1_0,
    StabilityModel.SD3_LARGE,
    StabilityModel.SDXL,
    StabilityModel.SDXL_V0,
}
SERVED_BY_DEFAULT = [m.value for m in ModelId] + [m.value for m in StabilityModel if m not in HISTORIC]


def test_ready_line_and_health(emulator: Any) -> None:
    assert f"{READY_MARK}{emulator.url}" in emulator.log().splitlines()
    response = httpx.get(f"{emulator.url}/_emulator/health")
    assert response.status_code == 200
    health = response.json()
    assert health["models"] == SERVED_BY_DEFAULT
    assert isinstance(health["version"], str) and health["version"]


def test_one_log_line_per_request(emulator: Any) -> None:
    response = httpx.post(f"{emulator.url}/model/{NOVA}/invoke", content=b"{}")
    request_id = response.headers["x-amzn-requestid"]
    lines = [line for line in emulator.log().splitlines() if request_id in line]
    assert len(lines) == 1
    assert f'"POST /model/{NOVA}/invoke HTTP/1.1" 400 ValidationException' in lines[0]


def test_sigterm_with_two_workers_exits_cleanly(tmp_path: Path) -> None:
    server = start_server(tmp_path, "workers", ["--workers", "2"], access_log=True)
    for _ in range(4):  # requests land on either worker; each builds its app with the same config
        assert httpx.post(f"{server.url}/model/{NOVA}/invoke", content=text_image()).status_code == 200
    assert server.stop(signal.SIGTERM) == 0


def test_sigint_and_configuration_precedence(tmp_path: Path) -> None:
    """Flags override the environment, which overrides the file."""
    config = tmp_path / "emulator.yaml"
    profile = "arn:aws:bedrock:us-east-1:123456789012:application-inference-profile/"
    config.write_text(f"host: 127.0.0.5\nmodel_aliases:\n  {profile}from-file: {NOVA}\ncaption: false\n")
    env = {"NOVA_EMULATOR_HOST": "127.0.0.6", "NOVA_EMULATOR_MODEL_ALIASES": f"{profile}from-env={TITAN_V2}"}
    args = ["--config", str(config), "--host", "127.0.0.1"]
    server = start_server(tmp_path, "precedence", args, env, access_log=True)
    health = httpx.get(f"{server.url}/_emulator/health").json()
    assert health["aliases"] == {f"{profile}from-env": TITAN_V2}
    assert server.stop(signal.SIGINT) == 0


def test_bad_setting_is_refused_at_startup() -> None:
    env = subprocess_env({"NOVA_EMULATOR_STRICT_AUTH": "maybe"})
    result = subprocess.run(server_command(), env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert "strict_auth" in result.stderr and "maybe" in result.stderr


def test_busy_port_is_refused(emulator: Any) -> None:
    """Granian binds with SO_REUSEPORT; a second emulator must not silently share the port."""
    command = [*server_command(), "--port", str(emulator.port)]
    result = subprocess.run(command, env=subprocess_env(), capture_output=True, text=True, timeout=30)
    assert result.returncode == 2
    assert f"{emulator.url} is already in use" in result.stderr


def test_health_lists_served_models_only(emulator: Any) -> None:
    body = json.loads(httpx.get(f"{emulator.url}/_emulator/health").content)
    assert set(body["models"]) == set(SERVED_BY_DEFAULT)
    assert "stability.stable-diffusion-xl-v1" not in body["models"]  # historic: answered end of life
