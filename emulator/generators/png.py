"""PNG encoding, kept apart from generation (CONTRACT.md §2.7, D12).

The encoder is fpng: it is the fastest PNG writer found on PyPI (see docs/PERFORMANCE.md), writes one
standard zlib stream, and its output is a pure function of the pixels and the fpng version (its SIMD paths
compute the same checksums, they do not change the compressed bytes). Pinning the fpng version therefore
pins the bytes.
"""

from __future__ import annotations

import fpng
import numpy as np
import numpy.typing as npt


def encode_png(pixels: npt.NDArray[np.uint8]) -> bytes:
    """Encode H x W x 3 as RGB (colour type 2) or H x W x 4 as RGBA (colour type 6), 8 bits per channel."""
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] not in (3, 4):
        raise ValueError(f"expected H x W x 3|4 uint8 pixels, got {pixels.dtype} {pixels.shape}")
    data: bytes = fpng.from_ndarray(np.ascontiguousarray(pixels))
    return data
