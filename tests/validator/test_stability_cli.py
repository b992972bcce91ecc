"""The CLI with Stability AI ids: the §S8 validator cases through `main` and through `python -m validator`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from validator.cli import main
from validator.stability.messages import text
from validator.strategies import encoded_image

IMG = encoded_image("png", 96, 80)
R1 = "Malformed input request: #: required key [prompt] not found, please reformat your input and try again."
R4 = (
    '{"detail":"Invalid field \'text_prompts\' in request. Available fields for control-sketch are: '
    'image, prompt, control_strength, negative_prompt, seed, output_format, style_preset"}'
)
CASES = {
    "t1": ("stability.stable-image-ultra-v1:1", {"prompt": "x"}, None),
    "t2": (
        "us.stability.stable-image-control-sketch-v1:0",
        {"text_prompts": [{"text": "x"}], "cfg_scale": 10},
        R4,
    ),
    "t3": (
        "stability.stable-image-ultra-v1:1",
        {"prompt": "x", "aws_region_name": "us-west-2"},
        '{"detail":"Invalid field \'aws_region_name\' in request. Available fields for ultra are: prompt, '
        'negative_prompt, mode, strength, seed, output_format, image, aspect_ratio"}',
    ),
    "t4": ("stability.stable-image-ultra-v1:1", {"text_prompts": [{"text": "x"}]}, R1),
    "t7": ("stability.sd3-5-large-v1:0", {"prompt": "x", "image": IMG, "strength": 0.7}, None),
    "t8": (
        "us.stability.stable-image-erase-object-v1:0",
        {"image": [IMG], "mask": encoded_image("mask-png-grey", 96, 80)},
        '{"detail":"Invalid type for field \'image\': expected string"}',
    ),
    "t9": (
        "us.stability.stable-outpaint-v1:0",
        {"image": IMG},
        '{"detail":"At least one outpaint direction: (left, right, up, or down) must be supplied with a '
        'non-zero value."}',
    ),
    "t11": (
        "us.stability.stable-image-inpaint-v1:0",
        {"output_format": "png", "prompt": "x", "image": IMG, "aspect_ratio": "1:1"},
        '{"detail":"Invalid field \'aspect_ratio\' in request. Available fields for inpaint are: image, '
        'prompt, mask, grow_mask, negative_prompt, seed, output_format, style_preset"}',
    ),
    "t12": (
        "stability.stable-image-core-v1:1",
        {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": "x"},
            "imageGenerationConfig": {"numberOfImages": 1},
        },
        R1,
    ),
}


def _file(tmp_path: Path, name: str, body: object) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(body))
    return str(path)


@pytest.mark.parametrize("case", CASES)
def test_s8_cases_in_process(case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model, body, message = CASES[case]
    path = _file(tmp_path, case, body)
    status = main(["--model", model, "--format", "json", path])
    document = json.loads(capsys.readouterr().out)
    entry = document["files"][0]
    if message is None:
        assert status == 0
        assert entry["valid"] is True
        assert entry["taskType"] in ("text-to-image", "image-to-image")
    else:
        assert status == 1
        assert entry["error"] == {"exception": "ValidationException", "status": 400, "message": message}
        assert entry["errors"][0]["message"] == message


def test_text_output_summary(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _file(tmp_path, "t1", {"prompt": "x", "seed": 5, "output_format": "jpeg", "aspect_ratio": "16:9"})
    assert main(["--model", "stability.stable-image-ultra-v1:1", path]) == 0
    out = capsys.readouterr().out
    assert (
        f"{path}: valid (stability.stable-image-ultra-v1:1, text-to-image, 1 image of 1344x768 "
        "(jpeg), seed 5)" in out
    )


def test_t5_r8_and_t6_invalid_id_are_usage_errors(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--model", "stability.stable-image-inpaint-v1:0", "x.json"])
    assert exit_info.value.code == 2
    assert text("R8", model_id="stability.stable-image-inpaint-v1:0") in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["--model", "stability.stable-image-outpaint-v1:0", "x.json"])
    assert "The provided model identifier is invalid." in capsys.readouterr().err


def test_schema_option(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--schema", "--model", "us.stability.stable-outpaint-v1:0"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert list(schema["properties"]) == [
        "image",
        "prompt",
        "left",
        "right",
        "up",
        "down",
        "creativity",
        "seed",
        "output_format",
        "style_preset",
    ]
    assert main(["--schema", "--model", "stability.sd3-5-large-v1:0", "--task", "image-to-image"]) == 0
    assert json.loads(capsys.readouterr().out)["required"] == ["prompt", "image", "strength"]


def test_help_mentions_the_stability_ids(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert "stability.stable-image-ultra-v1:1" in out
    assert "us.stability.stable-image-inpaint-v1:0" in out


def test_as_a_subprocess(tmp_path: Path) -> None:
    """T2, T5 and T1 through the real `python -m validator` entry point."""
    t2 = _file(tmp_path, "t2", CASES["t2"][1])
    run = subprocess.run(
        [sys.executable, "-m", "validator", "--model", CASES["t2"][0], "--format", "json", t2],
        capture_output=True,
        check=False,
    )
    assert run.returncode == 1
    message = json.loads(run.stdout)["files"][0]["error"]["message"]
    assert message == R4
    assert len(json.dumps({"message": message}, separators=(",", ":"), ensure_ascii=False).encode()) == 196
    t5 = subprocess.run(
        [sys.executable, "-m", "validator", "--model", "stability.stable-image-inpaint-v1:0", t2],
        capture_output=True,
        check=False,
    )
    assert t5.returncode == 2
    assert text("R8", model_id="stability.stable-image-inpaint-v1:0") in t5.stderr.decode()
    t1 = subprocess.run(
        [sys.executable, "-m", "validator", "--model", CASES["t1"][0], "-"],
        input=b'{"prompt":"x"}',
        capture_output=True,
        check=False,
    )
    assert t1.returncode == 0
    assert (
        b"valid (stability.stable-image-ultra-v1:1, text-to-image, 1 image of 1024x1024 (png), seed "
        in t1.stdout
    )
