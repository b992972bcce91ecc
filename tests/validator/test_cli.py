"""`nova-canvas-validate`: exit status, text and JSON output, --schema (in process and as the real script)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from validator.cli import main
from validator.messages import MALFORMED, MALFORMED_PREFIX, MALFORMED_SUFFIX

VALID = b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a lighthouse without a keeper"}}'
SEED_TOO_BIG = (
    b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a cat","negativeText":""},'
    b'"imageGenerationConfig":{"seed":2147483647}}'
)
SEED_MESSAGE = (
    "Malformed input request: #/textToImageParams/negativeText: expected minLength: 1, actual: 0, "
    "#/imageGenerationConfig/seed: 2147483647 is not less or equal to 2147483646, "
    "please reformat your input and try again."
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, str]:
    paths = {"valid": VALID, "invalid": SEED_TOO_BIG, "garbage": b"not json"}
    for name, data in paths.items():
        (tmp_path / f"{name}.json").write_bytes(data)
    return {name: str(tmp_path / f"{name}.json") for name in paths}


def test_valid_file_exits_0_and_prints_warnings(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([files["valid"]]) == 0
    out = capsys.readouterr().out
    assert f"{files['valid']}: valid (amazon.nova-canvas-v1:0, TEXT_IMAGE, 1 image of 1024x1024)" in out
    assert "warning W-NEGATION #/textToImageParams/text:" in out


def test_invalid_file_prints_bedrock_error_and_every_violation(
    files: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([files["valid"], files["invalid"]]) == 1
    out = capsys.readouterr().out
    assert f"{files['invalid']}: INVALID" in out
    assert f"  ValidationException (400): {SEED_MESSAGE}" in out
    assert "  error #/textToImageParams/negativeText [minLength]: expected minLength: 1, actual: 0" in out
    assert (
        "  error #/imageGenerationConfig/seed [maximum]: 2147483647 is not less or equal to 2147483646" in out
    )


def test_json_output_shape(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "json", files["valid"], files["invalid"], files["garbage"]]) == 1
    document = json.loads(capsys.readouterr().out)
    assert document["valid"] is False
    valid, invalid, garbage = document["files"]
    assert valid["valid"] is True and valid["error"] is None and valid["errors"] == []
    assert valid["taskType"] == "TEXT_IMAGE" and valid["model"] == "amazon.nova-canvas-v1:0"
    assert valid["warnings"][0]["code"] == "W-NEGATION"
    assert invalid["error"] == {"exception": "ValidationException", "status": 400, "message": SEED_MESSAGE}
    first = invalid["errors"][0]
    assert first["pointer"] == "#/textToImageParams/negativeText"
    assert (first["exception"], first["status"], first["keyword"], first["stage"]) == (
        "ValidationException", 400, "minLength", "schema",
    )  # fmt: skip
    assert first["message"].startswith(
        MALFORMED_PREFIX + "#/textToImageParams/negativeText: expected minLength"
    )
    assert garbage["error"]["message"] == MALFORMED
    assert garbage["errors"][0]["message"] == MALFORMED


def test_unreadable_file_exits_2(
    files: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = str(tmp_path / "missing.json")
    assert main([files["invalid"], missing]) == 2
    assert f"{missing}: UNREADABLE:" in capsys.readouterr().out


def test_model_option_accepts_any_form(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    arn = "arn:aws:bedrock:us-east-1::foundation-model/amazon.titan-image-generator-v2:0"
    assert main(["--model", arn, files["valid"]]) == 0
    assert "amazon.titan-image-generator-v2:0, TEXT_IMAGE" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv",
    [[], ["--model", "amazon.nova-lite-v1:0", "x.json"], ["--format", "xml", "x.json"],
     ["--schema", "--model", "amazon.titan-image-generator-v1", "--task", "VIRTUAL_TRY_ON"]],
)  # fmt: skip
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    assert "usage: nova-canvas-validate" in capsys.readouterr().err


def test_content_type_checks(files: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--content-type", "application/octet-stream", files["valid"]]) == 0
    assert "warning W-CT-OCTET" in capsys.readouterr().out
    assert main(["--strict-content-type", "--content-type", "application/octet-stream", files["valid"]]) == 1
    out = capsys.readouterr().out
    assert "The provided Content Type is invalid or not supported for this model" in out
    assert main(["--accept", "text/html", files["valid"]]) == 1
    assert "The provided Accept Type is invalid or not supported for this model" in capsys.readouterr().out


def test_schema_option_prints_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--schema", "--model", "amazon.titan-image-generator-v1", "--task", "INPAINTING"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["properties"]["taskType"] == {"const": "INPAINTING"}
    assert main(["--schema"]) == 0
    assert "VIRTUAL_TRY_ON" in json.loads(capsys.readouterr().out)["$defs"]


def _script() -> list[str]:
    found = shutil.which("nova-canvas-validate", path=str(Path(sys.executable).parent))
    if found is None:  # the project is not installed (pip install -e .); fall back to the module
        pytest.fail("console script nova-canvas-validate is not installed; run pip install -e '.[test]'")
    return [found]


def test_console_script_reads_stdin_and_sets_exit_status(files: dict[str, str]) -> None:
    ok = subprocess.run([*_script(), "-"], input=VALID, capture_output=True, check=False)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.decode().startswith("<stdin>: valid")
    bad = subprocess.run([*_script(), "--format", "json", files["invalid"]], capture_output=True, check=False)
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["files"][0]["error"]["message"] == SEED_MESSAGE
    usage = subprocess.run([*_script(), "--format"], capture_output=True, check=False)
    assert usage.returncode == 2


def test_python_dash_m_validator(files: dict[str, str]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "validator", files["invalid"]], capture_output=True, check=False
    )
    assert result.returncode == 1
    assert SEED_MESSAGE in result.stdout.decode()


def test_unencodable_request_text_is_escaped_not_fatal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Messages quote request text; a lone surrogate in it must not crash the printer."""
    path = tmp_path / "surrogate.json"
    path.write_bytes(b'{"taskType":"\\ud800x"}')
    assert main([str(path)]) == 1
    assert "#/taskType: \\ud800x is not a valid enum value" in capsys.readouterr().out
    assert main(["--format", "json", str(path)]) == 1
    message = json.loads(capsys.readouterr().out)["files"][0]["error"]["message"]
    assert message == f"{MALFORMED_PREFIX}#/taskType: \ud800x is not a valid enum value{MALFORMED_SUFFIX}"
