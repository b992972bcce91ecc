"""`nova-canvas-validate`: why a file is not JSON (with line and column), --task, --strict, --version."""

from __future__ import annotations

import json
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from validator.cli import main
from validator.messages import MALFORMED

VALID = b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a lighthouse"}}'
NEGATION = b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a lighthouse without a keeper"}}'
LEGACY_SEED = (
    b'{"taskType":"TEXT_IMAGE","textToImageParams":{"text":"a cat"},'
    b'"imageGenerationConfig":{"seed":2000000000}}'
)

NOT_JSON = [
    # A trailing comma: the comma's own position.
    (b'{"taskType": "TEXT_IMAGE",}', "not JSON: trailing comma at line 1, column 26"),
    (b'{\n  "taskType": "TEXT_IMAGE",\n  "textToImageParams": {"text": "x"},\n}\n',
     "not JSON: trailing comma at line 3, column 37"),
    (b'{"a": [1, 2, ]}', "not JSON: trailing comma at line 1, column 12"),
    # A body cut short: where it ends.
    (b'{"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"',
     "not JSON: the body ends at line 1, column 61 before the JSON value is complete"),
    (b'{"taskType": "TEXT_IMAGE", "textToImageParams":\n',
     "not JSON: the body ends at line 1, column 48 before the JSON value is complete"),
    (b'{"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "a ligh',
     "not JSON: the string starting at line 1, column 58 is not closed"),
    # Plain text, single quotes, other syntax errors.
    (b"a lighthouse on a cliff\n", "not JSON: expected a JSON value at line 1, column 1"),
    (b"{'taskType': 'TEXT_IMAGE'}", "not JSON: expected a key in double quotes at line 1, column 2"),
    (b'{"taskType" "TEXT_IMAGE"}', "not JSON: expected ':' after the key at line 1, column 13"),
    (b'{"a": 1 "b": 2}', "not JSON: expected ',' or a closing bracket at line 1, column 9"),
    (b'{"a": 1}\n{"b": 2}\n', "not JSON: more data after the JSON value at line 2, column 1"),
    (b'{"a": "tab\there"}', "not JSON: unescaped control character in a string at line 1, column 11"),
    (b'{"a": "\\q"}', "not JSON: invalid escape in a string at line 1, column 8"),
    # JSON, but not an object.
    (b"[1, 2]", "top-level value is an array, not an object"),
    (b'"a lighthouse"', "top-level value is a string, not an object"),
    (b"12", "top-level value is a number, not an object"),
    (b"null", "top-level value is null, not an object"),
    (b"true", "top-level value is true or false, not an object"),
    (b"   \n", "empty body"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "reason"), NOT_JSON, ids=[r for _, r in NOT_JSON])
def test_why_a_body_is_not_json(
    body: bytes, reason: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "body.json"
    path.write_bytes(body)
    assert main([str(path)]) == 1
    assert capsys.readouterr().out == (
        f"{path}: INVALID\n  ValidationException (400): {MALFORMED}\n  error # [json]: {reason}\n"
    )
    assert main(["--format", "json", str(path)]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    assert entry["error"]["message"] == MALFORMED  # Bedrock's answer stays the plain Malformed text
    assert [(e["keyword"], e["detail"]) for e in entry["errors"]] == [("json", reason)]


def test_task_without_schema_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "body.json"
    path.write_bytes(VALID)
    with pytest.raises(SystemExit) as exit_info:
        main(["--task", "INPAINTING", str(path)])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "nova-canvas-validate: error: --task only applies to --schema "
        "(the taskType of a request is read from its body)\n"
    )


def test_schema_with_files_is_a_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--schema", str(tmp_path / "body.json")])
    assert exit_info.value.code == 2
    assert capsys.readouterr().err.endswith(
        "nova-canvas-validate: error: --schema takes no FILE: "
        "it prints the schema instead of checking requests\n"
    )


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"nova-canvas-validate {metadata.version('nova-canvas-emulator')}\n"


def test_version_as_a_script() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "validator", "--version"], capture_output=True, check=False
    )
    assert result.returncode == 0 and result.stdout.decode().startswith("nova-canvas-validate 0.")


@pytest.fixture
def bodies(tmp_path: Path) -> dict[str, str]:
    paths = {"valid": VALID, "negation": NEGATION, "seed": LEGACY_SEED}
    for name, data in paths.items():
        (tmp_path / f"{name}.json").write_bytes(data)
    return {name: str(tmp_path / f"{name}.json") for name in paths}


def test_strict_fails_on_warnings(bodies: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main([bodies["valid"], bodies["seed"]]) == 0
    capsys.readouterr()
    assert main(["--strict", bodies["valid"]]) == 0
    assert capsys.readouterr().out == (
        f"{bodies['valid']}: valid (amazon.nova-canvas-v1:0, TEXT_IMAGE, 1 image of 1024x1024)\n"
    )
    assert main(["--strict", bodies["valid"], bodies["seed"]]) == 1
    out = capsys.readouterr().out
    assert (
        f"{bodies['seed']}: valid (amazon.nova-canvas-v1:0, TEXT_IMAGE, 1 image of 1024x1024), "
        "FAILS --strict: 1 warning\n  warning W-SEED-LEGACY #/imageGenerationConfig/seed: seed 2000000000 is"
    ) in out


def test_strict_counts_header_warnings(bodies: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["--content-type", "application/octet-stream", bodies["valid"]]
    assert main(argv) == 0
    assert main(["--strict", *argv]) == 1
    assert "FAILS --strict: 1 warning\n  warning W-CT-OCTET Content-Type:" in capsys.readouterr().out


def test_strict_json_output(bodies: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--format", "json", bodies["negation"]]) == 0
    document = json.loads(capsys.readouterr().out)
    assert (document["valid"], document["strict"], document["passed"]) == (True, False, True)
    assert main(["--strict", "--format", "json", bodies["negation"], bodies["seed"]]) == 1
    document = json.loads(capsys.readouterr().out)
    assert (document["valid"], document["strict"], document["passed"]) == (True, True, False)
    assert [w["code"] for f in document["files"] for w in f["warnings"]] == ["W-NEGATION", "W-SEED-LEGACY"]


def test_strict_as_a_script(bodies: dict[str, str]) -> None:
    plain = subprocess.run([sys.executable, "-m", "validator", bodies["negation"]], capture_output=True)
    strict = subprocess.run(
        [sys.executable, "-m", "validator", "--strict", bodies["negation"]], capture_output=True
    )
    assert (plain.returncode, strict.returncode) == (0, 1)


def test_titan_size_error_is_bedrocks_whole_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "titan.json"
    path.write_bytes(
        b'{"taskType":"OUTPAINTING","outPaintingParams":{"image":"x","maskPrompt":"sky","text":"a beach"},'
        b'"imageGenerationConfig":{"width":1280,"height":1294}}'
    )
    message = "400 Bad Request: Value of (width, height) is not valid. Given: (1280, 1294)."
    assert main(["--model", "amazon.titan-image-generator-v2:0", "--format", "json", str(path)]) == 1
    (entry,) = json.loads(capsys.readouterr().out)["files"]
    assert entry["error"]["message"] == message
    assert [(e["keyword"], e["pointer"], e["message"]) for e in entry["errors"]][0] == (
        "SEM-SIZE-TITAN",
        "#/imageGenerationConfig",
        message,
    )
