"""PNG encoding, kept apart from generation (docs/CONTRACT.md §2.7, D12).

The encoder is fpng: it is the fastest PNG writer found on PyPI (see docs/PERFORMANCE.md), writes one
standard zlib stream, and its output is a pure function of the pixels and the fpng version (its SIMD paths
compute the same checksums, they do not change the compressed bytes). Pinning the fpng version therefore
pins the bytes.

A picture taller than `STRIP_ROWS` is encoded in strips of that many rows, joined into one PNG by
`_strip_join.join_strips` (a fifth faster, and a pure function of the pixels too); should a strip come out
in a form the join does not know (none is known), the whole picture is encoded in one piece.
"""

from __future__ import annotations

import fpng
import numpy as np
import numpy.typing as npt

from ._strip_join import join_strips

STRIP_ROWS = 256


def checked_pixels(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """`pixels` as a contiguous H x W x 3 (RGB) or H x W x 4 (RGBA) `uint8` array, which every encoder takes;
    ValueError for anything else."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"expected H x W x 3|4 uint8 pixels, got {pixels.dtype} {pixels.shape}")
    return np.ascontiguousarray(pixels)


def encode_png(pixels: npt.NDArray[np.uint8]) -> bytes:
    """Encode H x W x 3 as RGB (colour type 2) or H x W x 4 as RGBA (colour type 6), 8 bits per channel."""
    pixels = checked_pixels(pixels)
    if pixels.shape[0] <= STRIP_ROWS:
        return _fpng(pixels)
    strips = [_fpng(pixels[top : top + STRIP_ROWS]) for top in range(0, pixels.shape[0], STRIP_ROWS)]
    joined = join_strips(strips, pixels.shape[1], pixels.shape[2])
    return joined if joined is not None else _fpng(pixels)


def _fpng(pixels: npt.NDArray[np.uint8]) -> bytes:
    data: bytes = fpng.from_ndarray(pixels)
    return data
