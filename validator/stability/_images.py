"""Stability input image decoding and size rules (docs/CONTRACT.md §S4.5, §S6.2 step 13, D-S14).

Per image field: BASE64 → FORMAT (JPEG, PNG or WebP by magic bytes) → header → SIDE / SIDE-MAX → PIXELS →
RATIO → pixel decode. The size comes from the file header (the main contract's PNG and JPEG readers, plus
WebP's here), so an image above its field's pixel cap is refused before Pillow decodes anything: a small body
cannot expand into gigabytes. JPEGs with an absurd number of progressive scans are refused unread, as in the
main contract. Alpha is kept (Inpaint and Erase read it as the mask); greyscale and CMYK are accepted.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass
from typing import Final

import numpy as np
from PIL import Image

from validator._images import MAX_JPEG_SCANS, decode_base64, jpeg_header, jpeg_scan_count, png_header, sniff
from validator.report import ContractError
from validator.stability.messages import text
from validator.stability.spec import ImageRules
from validator.stability.types import OutputFormat, StabilityImage
from validator.types import ImageSize, Pixels

_FORMATS: Final = {"PNG": OutputFormat.PNG, "JPEG": OutputFormat.JPEG, "WEBP": OutputFormat.WEBP}
MAX_RATIO: Final = 2.5


@dataclass(frozen=True)
class Decoded:
    """The outcome for one image field: the image, or the first failure."""

    image: StabilityImage | None
    error: ContractError | None


def image_error(pointer: str, code: str, **parts: object) -> ContractError:
    """A step-13 error: the ST-IMG-* text as the container's `{"detail": ...}`."""
    return ContractError("semantic", pointer, code, text(code, key=pointer[2:], **parts))


def webp_size(data: bytes) -> ImageSize | None:
    """Canvas size from a WebP header (VP8X, VP8 or VP8L), or None when it cannot be read."""
    chunk = data[12:16]
    if chunk == b"VP8X" and len(data) >= 30:
        width = int.from_bytes(data[24:27], "little") + 1
        height = int.from_bytes(data[27:30], "little") + 1
        return ImageSize(width, height)
    if chunk == b"VP8 " and len(data) >= 30 and data[23:26] == b"\x9d\x01\x2a":
        width, height = struct.unpack("<HH", data[26:30])
        return ImageSize(width & 0x3FFF, height & 0x3FFF) if width & 0x3FFF and height & 0x3FFF else None
    if chunk == b"VP8L" and len(data) >= 25 and data[20] == 0x2F:
        bits = int.from_bytes(data[21:25], "little")
        return ImageSize((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    return None


def header_size(data: bytes, fmt: str) -> ImageSize | None:
    """The size a PNG, JPEG or WebP file's header declares (`fmt` as `sniff` names it), or None."""
    if fmt == "PNG":
        png = png_header(data)
        return png.size if png is not None else None
    if fmt == "JPEG":
        jpeg = jpeg_header(data)
        return jpeg.size if jpeg is not None else None
    return webp_size(data)


def has_alpha(img: Image.Image) -> bool:
    """True when a decoded picture carries transparency (an alpha band, or a transparent palette entry)."""
    return img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info


def size_error(size: ImageSize, rules: ImageRules, pointer: str) -> ContractError | None:
    """The first failing §S4.5 size rule for this field."""
    w, h = size.width, size.height
    if min(w, h) < rules.min_side:
        return image_error(pointer, "ST-IMG-SIDE", limit=rules.min_side)
    if rules.max_side is not None and max(w, h) > rules.max_side:
        return image_error(pointer, "ST-IMG-SIDE-MAX", limit=rules.max_side)
    low = rules.min_pixels if rules.min_pixels is not None else rules.min_side * rules.min_side
    if not low <= w * h <= rules.max_pixels:
        return image_error(pointer, "ST-IMG-PIXELS", low=low, high=rules.max_pixels, pixels=w * h)
    if rules.ratio and max(w, h) > MAX_RATIO * min(w, h):
        return image_error(pointer, "ST-IMG-RATIO")
    return None


def decode_image(value: str, pointer: str, rules: ImageRules) -> Decoded:
    """Run the step-13 checks on one image field's string."""
    data = decode_base64(value)
    if data is None:
        return Decoded(None, image_error(pointer, "ST-IMG-BASE64"))
    fmt = sniff(data)
    size = header_size(data, fmt) if fmt in _FORMATS else None
    if fmt == "JPEG" and size is not None and jpeg_scan_count(data) > MAX_JPEG_SCANS:
        size = None  # refused unread, as in the main contract
    if size is None:
        return Decoded(None, image_error(pointer, "ST-IMG-FORMAT"))
    problem = size_error(size, rules, pointer)
    if problem is not None:
        return Decoded(None, problem)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt]) as img:
            img.load()
            if img.size != (size.width, size.height):
                raise ValueError("size differs from header")
            rgb, alpha = _pixels(img)
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, DecompressionBombError...
        return Decoded(None, image_error(pointer, "ST-IMG-FORMAT"))
    return Decoded(StabilityImage(pointer, value, _FORMATS[fmt], rgb, alpha), None)


def _pixels(img: Image.Image) -> tuple[Pixels, Pixels | None]:
    """RGB pixels, and the alpha channel when the image has transparency information."""
    if has_alpha(img):
        rgba: Pixels = np.asarray(img.convert("RGBA"))
        return np.ascontiguousarray(rgba[:, :, :3]), np.ascontiguousarray(rgba[:, :, 3])
    rgb: Pixels = np.asarray(img if img.mode == "RGB" else img.convert("RGB"))
    return rgb, None
