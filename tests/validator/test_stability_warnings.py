"""Stability warnings: accepted inputs that are probably mistakes (W-ST-*), each with its exact text."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import numpy as np
from PIL import Image

from validator import ContractWarning, validate_request
from validator.strategies import encoded_image

IMG = encoded_image("png", 96, 80)
INPAINT = "us.stability.stable-image-inpaint-v1:0"
ERASE = "us.stability.stable-image-erase-object-v1:0"


def _mask(share_white: float, size: tuple[int, int] = (96, 80)) -> str:
    grey = np.zeros((size[1], size[0]), dtype=np.uint8)
    grey.reshape(-1)[: int(grey.size * share_white)] = 255
    out = io.BytesIO()
    Image.fromarray(grey, "L").save(out, "PNG")
    return base64.b64encode(out.getvalue()).decode()


def _warnings(body: dict[str, Any], model: str) -> list[ContractWarning]:
    report = validate_request(json.dumps(body), model)
    assert report.error is None, report.error
    return list(report.warnings)


def test_plain_bodies_draw_no_warning() -> None:
    assert _warnings({"prompt": "x"}, "stability.stable-image-ultra-v1:1") == []
    assert _warnings({"image": IMG, "prompt": "x", "mask": _mask(0.3)}, INPAINT) == []
    assert _warnings({"image": IMG, "grow_mask": 5.0}, ERASE) == []  # litellm's float has no fraction


def test_aspect_ratio_ignored_on_image_to_image() -> None:
    body = {"prompt": "x", "image": IMG, "strength": 0.5, "aspect_ratio": "16:9"}
    assert _warnings(body, "stability.sd3-5-large-v1:0") == [
        ContractWarning(
            "W-ST-ASPECT-IGNORED",
            "#/aspect_ratio",
            "aspect_ratio is ignored on image-to-image: the output keeps the input image's aspect "
            "ratio at about "
            "one megapixel (1152x960)",
        )
    ]


def test_fields_ignored_on_text_to_image() -> None:
    body = {"prompt": "x", "strength": 0.5}
    assert _warnings(body, "stability.stable-image-ultra-v1:1") == [
        ContractWarning("W-ST-IGNORED", "#/strength", "strength is ignored on text-to-image")
    ]
    sdxl = {"text_prompts": [{"text": "x"}], "init_image": IMG, "width": 1024}
    assert [w.pointer for w in _warnings(sdxl, "stability.stable-diffusion-xl-v1")] == ["#/width"]


def test_almost_white_mask() -> None:
    found = _warnings({"image": IMG, "prompt": "x", "mask": _mask(0.995)}, INPAINT)
    assert found == [
        ContractWarning(
            "W-ST-MASK-WHITE",
            "#/mask",
            "the mask is 99% white, so (almost) the whole picture is edited: here white marks the "
            "area to change "
            "and black the area to keep, the reverse of Nova Canvas and Titan masks",
        )
    ]
    assert _warnings({"image": IMG, "prompt": "x", "mask": _mask(0.98)}, INPAINT) == []


def test_mask_of_another_size_is_resized() -> None:
    found = _warnings({"image": IMG, "mask": _mask(0.5, (48, 40))}, ERASE)
    assert found == [
        ContractWarning(
            "W-ST-MASK-RESIZED", "#/mask", "the mask (48x40) is resized to the image (96x80) before use"
        )
    ]


def test_mask_over_alpha() -> None:
    image = encoded_image("holes", 96, 80, 100)
    assert [w.code for w in _warnings({"image": image, "mask": _mask(0.5)}, ERASE)] == [
        "W-ST-MASK-OVER-ALPHA"
    ]
    assert _warnings({"image": image}, ERASE) == []  # the alpha channel is the mask: intended
    opaque = encoded_image("png-rgba-opaque", 96, 80)
    assert _warnings({"image": opaque, "mask": _mask(0.5)}, ERASE) == []


def test_remove_background_with_jpeg() -> None:
    found = _warnings(
        {"image": IMG, "output_format": "jpeg"}, "us.stability.stable-image-remove-background-v1:0"
    )
    assert found == [
        ContractWarning(
            "W-ST-JPEG-TRANSPARENCY",
            "#/output_format",
            "output_format jpeg cannot carry the transparent background remove-background produces; "
            "use png or webp",
        )
    ]


def test_grow_mask_with_a_fraction() -> None:
    found = _warnings({"image": IMG, "grow_mask": 2.5}, ERASE)
    assert found == [
        ContractWarning(
            "W-ST-GROW-MASK-FRACTION",
            "#/grow_mask",
            "grow_mask 2.5 has a fraction; the mask grows by whole pixels",
        )
    ]
