"""encode_png: RGB colour type 2, RGBA colour type 6, lossless and byte-stable."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest
from PIL import Image

from emulator.generators import encode_png


def _ihdr(png: bytes) -> tuple[int, int, int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and png[12:16] == b"IHDR"
    width, height, depth, colour_type = struct.unpack(">IIBB", png[16:26])
    return width, height, depth, colour_type


@pytest.mark.parametrize(("channels", "colour_type", "mode"), [(3, 2, "RGB"), (4, 6, "RGBA")])
def test_round_trip_and_header(channels: int, colour_type: int, mode: str) -> None:
    pixels = np.random.default_rng(3).integers(0, 256, (37, 53, channels), dtype=np.uint8)
    png = encode_png(pixels)
    assert _ihdr(png) == (53, 37, 8, colour_type)
    decoded = Image.open(io.BytesIO(png))
    assert decoded.mode == mode
    assert np.array_equal(np.asarray(decoded), pixels)
    assert encode_png(pixels) == png


def test_non_contiguous_input_is_fine() -> None:
    pixels = np.random.default_rng(4).integers(0, 256, (40, 60, 4), dtype=np.uint8)
    view = pixels[:, ::2, :3]
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(encode_png(view)))), view)


@pytest.mark.parametrize(
    "bad", [np.zeros((4, 4), np.uint8), np.zeros((4, 4, 2), np.uint8), np.zeros((4, 4, 3))]
)
def test_rejects_other_layouts(bad: np.ndarray) -> None:
    with pytest.raises(ValueError):
        encode_png(bad)
