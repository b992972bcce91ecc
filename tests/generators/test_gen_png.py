"""encode_png: RGB colour type 2, RGBA colour type 6, lossless and byte-stable; tall pictures in strips."""

from __future__ import annotations

import io
import struct
import zlib

import cv2
import fpng
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from PIL import Image

from emulator.generators import encode_png
from emulator.generators._strip_join import (
    DYNAMIC_BLOCK,
    MAX_HEADER_BYTES,
    adler32_combine,
    block_table,
    end_padding_bits,
)
from emulator.generators.png import STRIP_ROWS


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


# --- tall pictures: encoded in strips, joined into one stream (_strip_join.py) ---------------------------


def _smooth(height: int, width: int, channels: int, seed: int) -> np.ndarray:
    """A photo-like picture (fpng compresses it: one dynamic block per strip)."""
    coarse = np.random.default_rng(seed).integers(0, 256, (max(2, height // 8), max(2, width // 8), channels))
    return np.asarray(
        cv2.resize(coarse.astype(np.uint8), (width, height), interpolation=cv2.INTER_LINEAR), dtype=np.uint8
    )


def _chunk_list(data: bytes) -> list[tuple[bytes, bytes]]:
    """(type, data) of every chunk, checking each CRC."""
    chunks, pos = [], 8
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert data[pos + 8 + length : pos + 12 + length] == zlib.crc32(kind + body).to_bytes(4, "big")
        chunks.append((kind, body))
        pos += 12 + length
    return chunks


def _assert_exact(pixels: np.ndarray) -> bytes:
    """The PNG decodes to `pixels` (Pillow), is one zlib stream whose Adler-32 checks (zlib), and every
    chunk's CRC is right."""
    png = encode_png(pixels)
    height, width, channels = pixels.shape
    assert _ihdr(png) == (width, height, 8, 2 if channels == 3 else 6)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(png))), pixels)
    stream = b"".join(body for kind, body in _chunk_list(png) if kind == b"IDAT")
    assert len(zlib.decompress(stream)) == height * (1 + width * channels)  # also checks the Adler-32
    return png


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize(("height", "width"), [(257, 64), (512, 31), (513, 1), (1024, 1024), (1000, 333)])
def test_tall_pictures_are_joined_from_strips_exactly(height: int, width: int, channels: int) -> None:
    png = _assert_exact(_smooth(height, width, channels, seed=height + width))
    # fpng marks a file it wrote whole with its private `fdEC` chunk; the joined file has none.
    chunks = _chunk_list(png)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    assert (chunks[1][1][2] >> 1) & 3 == DYNAMIC_BLOCK  # compressed strips, not stored ones


@pytest.mark.parametrize("channels", [3, 4])
def test_incompressible_strips_are_joined_too(channels: int) -> None:
    """fpng stores noise uncompressed (stored blocks); those strips are joined as well."""
    noise = np.random.default_rng(channels).integers(0, 256, (700, 90, channels), dtype=np.uint8)
    png = _assert_exact(noise)
    assert [kind for kind, _ in _chunk_list(png)] == [b"IHDR", b"IDAT", b"IEND"]
    mixed = np.concatenate([noise[:300], _smooth(400, 90, channels, seed=9)])  # stored, then dynamic
    _assert_exact(mixed)


def test_pictures_up_to_one_strip_are_fpng_whole() -> None:
    pixels = _smooth(STRIP_ROWS, 50, 3, seed=1)
    assert encode_png(pixels) == fpng.from_ndarray(pixels)


@settings(max_examples=25, deadline=None)
@given(
    height=st.integers(STRIP_ROWS + 1, 3 * STRIP_ROWS + 5),
    width=st.integers(1, 40),
    channels=st.sampled_from([3, 4]),
    seed=st.integers(0, 2**32 - 1),
    flat_rows=st.integers(0, 600),
)
def test_any_tall_picture_round_trips(
    height: int, width: int, channels: int, seed: int, flat_rows: int
) -> None:
    pixels = _smooth(height, width, channels, seed)
    pixels[:flat_rows] = 7  # long runs: matches up to a strip's end
    _assert_exact(pixels)


def test_adler32_combine_matches_zlib() -> None:
    data = np.random.default_rng(5).integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    for cut in (0, 1, 65520, 65521, 100_000, 200_000):
        first, second = data[:cut], data[cut:]
        combined = adler32_combine(zlib.adler32(first), zlib.adler32(second), len(second))
        assert combined == zlib.adler32(data)


def test_end_of_block_padding_read_off_zlib_blocks() -> None:
    """Independently of fpng: a zlib-written dynamic block, continued after its end the way strips are,
    still inflates to both parts."""
    rng = np.random.default_rng(8)
    joined = 0
    for size in range(200, 260):
        text = bytes(rng.choice(list(b"abcdefgh  \n"), size).tolist())
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        block = packer.compress(text) + packer.flush()
        if (block[0] >> 1) & 3 != DYNAMIC_BLOCK:
            continue
        table = block_table(block[:MAX_HEADER_BYTES])
        assert table is not None
        padding = end_padding_bits(block, table)
        if padding is None:  # more than one padding fits: the encoder would not join this one
            continue
        tail = b"\x00\x00\xff\xff" if padding >= 3 else b"\x00\x00\x00\xff\xff"
        more = zlib.compressobj(9, zlib.DEFLATED, -15)
        rest = more.compress(b"after") + more.flush()
        stream = bytes([block[0] & 0xFE]) + block[1:] + tail + rest
        assert zlib.decompressobj(-15).decompress(stream) == text + b"after"
        joined += 1
    assert joined > 40
