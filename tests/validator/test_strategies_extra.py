"""Hypothesis is an optional extra: the validator works without it, and `validator.strategies` says which
extra to install."""

from __future__ import annotations

import subprocess
import sys
import textwrap

_WITHOUT_HYPOTHESIS = "import sys\nsys.modules['hypothesis'] = None  # as if it were not installed\n"


def _run(code: str) -> subprocess.CompletedProcess[str]:
    script = _WITHOUT_HYPOTHESIS + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)


def test_strategies_name_the_extra_when_hypothesis_is_missing() -> None:
    result = _run(
        """
        try:
            import validator.strategies
        except ImportError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "validator.strategies needs Hypothesis, which is an optional extra: "
        "pip install 'nova-canvas-emulator[strategies]'\n"
    )


def test_validator_and_its_cli_work_without_hypothesis() -> None:
    result = _run(
        """
        import validator, validator.cli, validator.jsonschema_export
        from validator import validate_request
        assert validate_request(b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"x"}}').valid
        assert not any(name.startswith("hypothesis") for name in sys.modules if sys.modules[name] is not None)
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"


def test_emulator_app_works_without_hypothesis() -> None:
    result = _run(
        """
        from emulator.app import create_app
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "ok\n"
