"""The pytest plugin: loads without boto3, gives each test a reset server, takes settings of every type,
and works from a user's project that has its own `validator.py` and `emulator.py`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from emulator.client import EmulatorControl, EmulatorControlError
from emulator.config import EmulatorConfig
from emulator.pytest_plugin import setting_text


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


USER_TESTS = """
from emulator.client import EmulatorControl


def test_part_1(nova_emulator_control: EmulatorControl) -> None:
    nova_emulator_control.add_rule("AccessDeniedException")
    nova_emulator_control.set_lifecycle("amazon.nova-canvas-v1:0", "legacy")
    assert len(nova_emulator_control.rules()) == 1


def test_part_2(bedrock_runtime, nova_emulator_control: EmulatorControl) -> None:
    import json
    assert nova_emulator_control.rules() == []
    body = {"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a lighthouse"},
            "imageGenerationConfig": {"width": 320, "height": 320}}
    reply = bedrock_runtime.invoke_model(modelId="amazon.nova-canvas-v1:0", body=json.dumps(body))
    assert len(json.loads(reply["body"].read())["images"]) == 1
    [entry] = nova_emulator_control.journal()
    assert entry["auth"]["form"] == "sigv4"
"""
SHADOW = 'raise ImportError("the user\'s own {name}.py was imported")\n'


def user_project(tmp_path: Path, *names: str) -> Path:
    """A user's project: its own modules named like this project's packages, and two tests that run in order
    in one session (so the second one sees what the first one left, unless the fixture resets it)."""
    project = tmp_path / "project"
    project.mkdir()
    for name in names:
        (project / f"{name}.py").write_text(SHADOW.format(name=name))
    (project / "test_user.py").write_text(USER_TESTS)
    return project


def run_pytest(project: Path, command: list[str]) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "NOVA_EMULATOR_"))}
    return subprocess.run(
        [*command, "-p", "no:xdist", "-p", "no:cacheprovider", "-q", "test_user.py"],
        cwd=project,
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


def test_state_left_by_one_test_is_gone_in_the_next_and_user_modules_do_not_interfere(tmp_path: Path) -> None:
    """The `pytest` command in a project holding its own `validator.py` and `emulator.py`: the plugin and the
    server it starts use this project's packages, and the second test starts from the start state."""
    project = user_project(tmp_path, "validator", "emulator")
    result = run_pytest(project, [str(Path(sys.executable).with_name("pytest"))])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_python_m_pytest_with_a_user_validator_module(tmp_path: Path) -> None:
    """`python -m pytest` puts the working directory first on the import path; a user's `validator.py` there
    still does not reach the plugin or the server (a user's `emulator.py` would: see the README)."""
    project = user_project(tmp_path, "validator")
    result = run_pytest(project, [sys.executable, "-m", "pytest"])
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout


def test_settings_fixture_takes_lists_mappings_and_booleans() -> None:
    assert setting_text(["a", "b"]) == '["a", "b"]'
    assert setting_text({"amazon.nova-canvas-v1:0": "legacy"}) == '{"amazon.nova-canvas-v1:0": "legacy"}'
    assert (setting_text(True), setting_text(2), setting_text("x")) == ("true", "2", "x")
    config = EmulatorConfig.from_env({"NOVA_EMULATOR_BLOCKED_WORDS": setting_text(["a", "b"])})
    assert config.testdouble.filters.blocked_words == ("a", "b")
    config.testdouble.remove_owned_state()


def test_client_errors_carry_status_and_message(nova_emulator_control: EmulatorControl) -> None:
    try:
        nova_emulator_control.delete_rule(987654)
    except EmulatorControlError as exc:
        assert (exc.status, exc.message) == (404, "No rule 987654.")
    else:
        raise AssertionError("expected EmulatorControlError")
