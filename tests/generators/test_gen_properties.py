"""Property tests over request shapes, odd and tiny sizes, and pinned bytes for one fixed picture."""

from __future__ import annotations

import hashlib
import io
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from PIL import Image

from emulator.generators import encode_png, generate
from emulator.generators.text_image import prepare_text_image, render_text_image
from tests.support.scenes import image, mask_image, request
from validator.types import (
    BackgroundRemovalParams,
    InPaintingParams,
    MaskType,
    ModelId,
    OutPaintingParams,
    Style,
    TaskParams,
    TextToImageParams,
    VirtualTryOnParams,
)

nova_side = st.integers(20, 40).map(lambda n: n * 16)  # 320-640: valid Nova sides, small enough to be quick


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    width=nova_side,
    height=nova_side,
    text=st.text(min_size=1, max_size=60),
    style=st.none() | st.sampled_from(list(Style)),
    seed=st.integers(0, 858_993_459),
    count=st.integers(1, 3),
)
def test_text_image_size_count_and_determinism(
    width: int, height: int, text: str, style: Style | None, seed: int, count: int
) -> None:
    req = request(
        TextToImageParams(text=text, style=style), width=width, height=height, seed=seed, count=count
    )
    first = generate(req)
    assert first == generate(req)
    assert len(first.images) == count
    for png in first.images:
        assert Image.open(io.BytesIO(png)).size == (width, height)


@pytest.mark.parametrize(("height", "width"), [(1, 1), (2, 7), (9, 5), (17, 64), (1408, 352)])
@pytest.mark.parametrize("kind", ["inpainting", "outpainting", "background", "try-on"])
def test_titan_sized_inputs_of_any_size_work(height: int, width: int, kind: str) -> None:
    """Titan sets no minimum input size (docs/CONTRACT.md §5.2): even 1 x 1 must come back whole."""
    pixels = np.random.default_rng(width).integers(0, 256, (height, width, 3), dtype=np.uint8)
    edited = np.zeros((height, width), bool)
    edited[: max(1, height // 2)] = True
    params: dict[str, TaskParams] = {
        "inpainting": InPaintingParams(image=image(pixels), mask_image=mask_image(edited), return_mask=True),
        "outpainting": OutPaintingParams(image=image(pixels), mask_image=mask_image(edited), text="sea"),
        "background": BackgroundRemovalParams(image=image(pixels)),
        "try-on": VirtualTryOnParams(
            source_image=image(pixels),
            reference_image=image(pixels),
            mask_type=MaskType.IMAGE,
            image_based_mask=mask_image(edited),
        ),
    }
    result = generate(request(params[kind], count=2, model=ModelId.TITAN_V2))
    for png in result.images:
        assert Image.open(io.BytesIO(png)).size == (width, height)


# The pixels and PNG bytes of one fixed picture, drawn with a fixed generator so only the painting code,
# numpy's PCG64 stream, OpenCV, fpng and the strip encoding (png.py) are pinned (not the request model). A
# change here means every image the emulator returns changes: update the constant on purpose, and bump
# seeding.ALGORITHM_VERSION when the pictures themselves change. (Changed from 262ef84b... when pictures
# taller than 256 rows began to be encoded in strips: same pixels, other bytes.)
GOLDEN_PNG_SHA256 = "a4d436785be621b74c92ee47c62ee7f61b876e7cb12bd1aa348ef37a845618f9"


def _golden_png() -> bytes:
    req = request(TextToImageParams(text="golden gate bridge in fog", style=Style.GRAPHIC_NOVEL_ILLUSTRATION))
    pixels = render_text_image(prepare_text_image(req), np.random.Generator(np.random.PCG64(2026)))
    return encode_png(pixels)


def test_fixed_picture_bytes_are_pinned() -> None:
    assert hashlib.sha256(_golden_png()).hexdigest() == GOLDEN_PNG_SHA256


def test_same_bytes_in_a_fresh_process() -> None:
    code = (
        "import hashlib\n"
        "from tests.support.scenes import request\n"
        "from validator.types import TextToImageParams\n"
        "from emulator.generators import generate\n"
        "out = generate(request(TextToImageParams(text='fresh process'), count=2))\n"
        "print(hashlib.sha256(b''.join(out.images)).hexdigest())\n"
    )
    child = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    here = generate(request(TextToImageParams(text="fresh process"), count=2))
    assert child.stdout.strip() == hashlib.sha256(b"".join(here.images)).hexdigest()
