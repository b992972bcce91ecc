"""The pytest plugin loads without boto3 and its fixtures give a clean, reset server."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from emulator.client import EmulatorControl, EmulatorControlError
from tests.testdouble.support import invoke, text_body


def test_plugin_imports_without_boto3() -> None:
    code = (
        "import sys\n"
        "sys.modules['boto3'] = None\n"
        "sys.modules['botocore'] = None\n"
        "import emulator.pytest_plugin\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert result.stdout.strip() == "ok", result.stderr


def test_state_left_by_one_test_is_gone_in_the_next_part_1(nova_emulator_control: EmulatorControl) -> None:
    nova_emulator_control.add_rule("AccessDeniedException")
    nova_emulator_control.set_lifecycle("amazon.nova-canvas-v1:0", "legacy")


def test_state_left_by_one_test_is_gone_in_the_next_part_2(
    bedrock_runtime: Any, nova_emulator_control: EmulatorControl
) -> None:
    assert nova_emulator_control.rules() == []
    assert len(invoke(bedrock_runtime, text_body())["images"]) == 1
    [entry] = nova_emulator_control.journal()
    assert entry["auth"]["form"] == "sigv4" and entry["headers"]["amz-sdk-request"].startswith("attempt=1")


def test_client_errors_carry_status_and_message(nova_emulator_control: EmulatorControl) -> None:
    try:
        nova_emulator_control.delete_rule(987654)
    except EmulatorControlError as exc:
        assert (exc.status, exc.message) == (404, "No rule 987654.")
    else:
        raise AssertionError("expected EmulatorControlError")
