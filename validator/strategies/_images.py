"""Small real images for the strategies, Pillow-encoded once per kind and size (and cached)."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from functools import cache
from typing import Any, Final

import numpy as np
from PIL import Image

IMAGE_KINDS: Final = ("png", "jpeg", "png-palette", "png-rgba-opaque")
MASK_KINDS: Final = ("mask-png", "mask-png-grey")


# --- images (Pillow-encoded once per kind and size) ---


def _picture(width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """A smooth RGB gradient with a square: cheap to make, not flat, identical on every run."""
    y, x = np.mgrid[0:height, 0:width]
    rgb = np.stack([x * 255 // max(width - 1, 1), y * 255 // max(height - 1, 1), (x + y) % 256], axis=-1)
    rgb[height // 4 : height // 2, width // 4 : width // 2] = (200, 30, 30)
    return rgb.astype(np.uint8)


def _mask(width: int, height: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    """White (kept) with a black (edited) block."""
    grey = np.full((height, width), 255, dtype=np.uint8)
    grey[height // 4 : height * 3 // 4, width // 4 : width * 3 // 4] = 0
    return grey


def _save(img: Image.Image, fmt: str, **options: Any) -> bytes:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return out.getvalue()


def _png_rgb16(width: int, height: int) -> bytes:
    """A 16-bit RGB PNG, written by hand (Pillow cannot write one)."""
    row = b"\x00" + b"\x12\x34" * 3 * width
    ihdr = struct.pack(">IIBBBBB", width, height, 16, 2, 0, 0, 0)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    idat = zlib.compress(row * height)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def _holes(width: int, height: int, n: int) -> bytes:
    """RGBA PNG whose first `n` pixels (row-major) are fully transparent."""
    rgba = np.dstack([_picture(width, height), np.full((height, width), 255, dtype=np.uint8)])
    rgba.reshape(-1, 4)[:n, 3] = 0
    return _save(Image.fromarray(rgba, "RGBA"), "PNG")


def _grey_mask_pixels(width: int, height: int, n: int) -> bytes:
    """A mask PNG whose first `n` pixels are mid grey (neither pure black nor pure white)."""
    grey = _mask(width, height)
    grey.reshape(-1)[:n] = 128
    return _save(Image.fromarray(grey, "L"), "PNG")


_ENCODERS: Final[dict[str, Callable[[int, int], bytes]]] = {
    "png": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "PNG"),
    "jpeg": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "JPEG", quality=90),
    "png-palette": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").quantize(64), "PNG"),
    "png-rgba-opaque": lambda w, h: _holes(w, h, 0),
    "mask-png": lambda w, h: _save(Image.fromarray(_mask(w, h), "L").convert("RGB"), "PNG"),
    "mask-png-grey": lambda w, h: _save(Image.fromarray(_mask(w, h), "L"), "PNG"),
    "png-grey": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").convert("L"), "PNG"),
    "jpeg-grey": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").convert("L"), "JPEG"),
    "jpeg-cmyk": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB").convert("CMYK"), "JPEG"),
    "png-grey16": lambda w, h: _save(Image.fromarray(_mask(w, h).astype(np.uint16) * 257), "PNG"),
    "png-rgb16": _png_rgb16,
    "png-truncated": lambda w, h: _ENCODERS["png"](w, h)[:-200],
    "gif": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "GIF"),
    "bmp": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "BMP"),
    "tiff": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "TIFF"),
    "webp": lambda w, h: _save(Image.fromarray(_picture(w, h), "RGB"), "WEBP"),
    "text": lambda w, h: b"not an image at all",
}


@cache
def encoded_image(kind: str, width: int, height: int, n: int = 0) -> str:
    """Base64 of a small image of one `kind` (`_ENCODERS`, or `holes`/`mask-grey-pixels` with `n`), cached."""
    if kind == "holes":
        data = _holes(width, height, n)
    elif kind == "mask-grey-pixels":
        data = _grey_mask_pixels(width, height, n)
    else:
        data = _ENCODERS[kind](width, height)
    return base64.b64encode(data).decode("ascii")
