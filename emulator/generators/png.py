"""PNG encoding, kept apart from generation (docs/CONTRACT.md §2.7, D12).

The encoder is fpng: it is the fastest PNG writer found on PyPI (see docs/PERFORMANCE.md), writes one
standard zlib stream, and its output is a pure function of the pixels and the fpng version (its SIMD paths
compute the same checksums, they do not change the compressed bytes). Pinning the fpng version therefore
pins the bytes.

A picture taller than `STRIP_ROWS` is encoded in strips of that many rows, and the strips' streams are
joined into one: fpng takes about a fifth less time on strips whose working set stays in the CPU cache than
on a whole 1024x1024 picture. The join is exact, because of how fpng writes an image: its first row is
unfiltered (PNG filter 0) and every later one refers only to the row above (filter 2) or to the pixel before
(a distance-3 or 4 match), never before the strip's first row, so a strip's bytes decode to the same pixels
after any rows at all. Its deflate data is one block with fpng's fixed dynamic Huffman table, ended by the
end-of-block code and zero bits up to a byte boundary. So for each strip but the last, the final-block bit
is cleared and an empty stored block is added after its end-of-block code, which brings the next strip's
block to a byte boundary; the Adler-32 of the whole is combined from the strips'. A strip fpng could not
compress is written as stored blocks, byte-aligned already: only its final-block bit is cleared. The result
is still a pure function of the pixels and the fpng version; in any other form (none is known), the whole
picture is encoded in one piece instead.
"""

from __future__ import annotations

import functools
import struct
import zlib
from collections.abc import Iterator

import fpng
import numpy as np
import numpy.typing as npt

from ._deflate import (
    DYNAMIC_BLOCK,
    MAX_HEADER_BYTES,
    STORED_BLOCK,
    BlockTable,
    adler32_combine,
    block_table,
    end_padding_bits,
    last_stored_block,
)

STRIP_ROWS = 256
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
ZLIB_HEADER = b"\x78\x01"  # deflate, 32K window, no dictionary (what fpng writes)
# An empty stored block after the end-of-block code: header bits 000 (not final, stored) in the padding
# when at least three padding bits follow the code, else in one more byte; then LEN 0 and NLEN 0xFFFF.
_STORED_EMPTY = b"\x00\x00\xff\xff"
_CHUNK_HEAD = struct.Struct(">I4s")


def encode_png(pixels: npt.NDArray[np.uint8]) -> bytes:
    """Encode H x W x 3 as RGB (colour type 2) or H x W x 4 as RGBA (colour type 6), 8 bits per channel."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"expected H x W x 3|4 uint8 pixels, got {pixels.dtype} {pixels.shape}")
    pixels = np.ascontiguousarray(pixels)
    if pixels.shape[0] <= STRIP_ROWS:
        return _fpng(pixels)
    strips = [_fpng(pixels[top : top + STRIP_ROWS]) for top in range(0, pixels.shape[0], STRIP_ROWS)]
    joined = _join(strips, pixels.shape[1], pixels.shape[2])
    return joined if joined is not None else _fpng(pixels)


def _fpng(pixels: npt.NDArray[np.uint8]) -> bytes:
    data: bytes = fpng.from_ndarray(pixels)
    return data


def _join(strips: list[bytes], width: int, channels: int) -> bytes | None:
    """One PNG from fpng's PNGs of consecutive strips (see the module docstring); None if one is not in
    a form this knows."""
    ihdr = next((data for kind, data in _chunks(strips[0]) if kind == b"IHDR"), None)
    if ihdr is None:
        return None
    pieces: list[bytes | memoryview] = [ZLIB_HEADER]
    adler, height = 1, 0
    for index, png in enumerate(strips):
        stream = _zlib_stream(png)
        if stream[:2] != ZLIB_HEADER or len(stream) < 7:
            return None
        deflate = memoryview(stream)[2:-4]
        body = [deflate] if index == len(strips) - 1 else _not_final(deflate, channels)
        if body is None:
            return None
        pieces += body
        rows = _height(png)
        adler = adler32_combine(adler, int.from_bytes(stream[-4:], "big"), rows * (1 + width * channels))
        height += rows
    pieces.append(adler.to_bytes(4, "big"))
    crc = zlib.crc32(b"IDAT")
    for piece in pieces:
        crc = zlib.crc32(piece, crc)
    full_ihdr = bytes(ihdr[:4]) + height.to_bytes(4, "big") + bytes(ihdr[8:])
    return b"".join(
        [
            PNG_SIGNATURE,
            _chunk(b"IHDR", full_ihdr),
            _CHUNK_HEAD.pack(sum(len(piece) for piece in pieces), b"IDAT"),
            *pieces,
            crc.to_bytes(4, "big"),
            _chunk(b"IEND", b""),
        ]
    )


def _not_final(deflate: memoryview, channels: int) -> list[bytes | memoryview] | None:
    """A strip's deflate data rewritten to go on after its end: final-block bit cleared, ending on a byte
    boundary. fpng writes one dynamic block, or stored blocks when the strip does not compress."""
    kind = (deflate[0] >> 1) & 3
    if kind == DYNAMIC_BLOCK:
        table = _table(deflate, channels)
        padding = end_padding_bits(deflate, table) if table is not None else None
        if padding is None:
            return None
        tail = _STORED_EMPTY if padding >= 3 else b"\x00" + _STORED_EMPTY
        return [bytes([deflate[0] & 0xFE]), deflate[1:], tail]
    if kind == STORED_BLOCK:
        last = last_stored_block(deflate)
        if last is None:
            return None
        return [deflate[:last], bytes([deflate[last] & 0xFE]), deflate[last + 1 :]]
    return None


def _table(deflate: memoryview, channels: int) -> BlockTable | None:
    """The Huffman table of a strip's block: fpng's usual one, recognised by its header bytes, or parsed."""
    usual = _fpng_table(channels)
    if usual is not None and deflate[: len(usual.header)] == usual.header:
        return usual
    return block_table(bytes(deflate[:MAX_HEADER_BYTES]))


@functools.cache
def _fpng_table(channels: int) -> BlockTable | None:
    """The fixed table fpng writes for every image with this many channels (read off a small one)."""
    stream = _zlib_stream(_fpng(np.zeros((16, 16, channels), dtype=np.uint8)))
    return block_table(stream[2 : 2 + MAX_HEADER_BYTES])


def _zlib_stream(png: bytes) -> bytes:
    """The zlib stream of a PNG: its IDAT chunks' data, in order."""
    return b"".join(data for kind, data in _chunks(png) if kind == b"IDAT")


def _chunks(png: bytes) -> Iterator[tuple[bytes, memoryview]]:
    view, pos = memoryview(png), len(PNG_SIGNATURE)
    while pos + 12 <= len(png):
        length, kind = _CHUNK_HEAD.unpack_from(png, pos)
        yield kind, view[pos + 8 : pos + 8 + length]
        pos += 12 + length


def _height(png: bytes) -> int:
    return int.from_bytes(png[20:24], "big")  # IHDR is first: signature, length, type, width, height


def _chunk(kind: bytes, data: bytes) -> bytes:
    return _CHUNK_HEAD.pack(len(data), kind) + data + zlib.crc32(kind + data).to_bytes(4, "big")
