"""The AWS CLI v1 against the real server, Stability AI models: `aws bedrock-runtime invoke-model`
(docs/CONTRACT.md §S7.1)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.clients.test_client_awscli import run_cli
from tests.support.photos import photo_b64, photo_pixels
from tests.support.server import EmulatorProcess
from tests.support.stability import CONTROL_SKETCH, INPAINT, R4, png_b64, v2_image


def test_inpaint_profile_id_with_a_fileb_body(stability_emulator: EmulatorProcess, tmp_path: Path) -> None:
    """The AWS Inpaint sample body from a file; the CLI writes the V2 body to the outfile."""
    mask = photo_pixels("coffee")[:, :, 0] * 0
    mask[100:200, 200:400] = 255
    body = {"image": photo_b64("coffee"), "mask": png_b64(mask), "prompt": "a blue teapot"}
    source, out = tmp_path / "body.json", tmp_path / "out.json"
    source.write_text(json.dumps(body))
    result = run_cli(stability_emulator, "--model-id", INPAINT, "--body", f"fileb://{source}", str(out))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"contentType": "application/json"}
    image = v2_image(json.loads(out.read_bytes()))
    assert (image.format, image.size) == ("png", (576, 384))


def test_nested_detail_error_is_printed_as_sent(stability_emulator: EmulatorProcess, tmp_path: Path) -> None:
    body = json.dumps({"text_prompts": [{"text": "a house"}], "cfg_scale": 10})
    result = run_cli(
        stability_emulator, "--model-id", CONTROL_SKETCH, "--body", body, str(tmp_path / "o.json")
    )
    assert result.returncode != 0
    assert "An error occurred (ValidationException) when calling the InvokeModel operation" in result.stderr
    assert result.stderr.strip().endswith(": " + R4)
