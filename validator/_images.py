"""Input image decoding and per-image checks (docs/CONTRACT.md §5, §7.3 SEM-IMG-*, D26).

Each image is decoded once. For each image the order is BASE64 → FORMAT → DEPTH → ALPHA → size checks; masks
then get MASK-SIZE (in `validator._semantic`, which knows the image they mask) and MASK-COLORS.

Headers are read with the standard library first (PNG IHDR, JPEG SOF), which gives format, bit depth, colour
type and pixel size without decoding any pixels. A size that already breaks the model's upper limits (Nova: a
side over 4096 or more than 4,194,304 pixels; Titan: a side over 1408) is refused at that point, before Pillow
decodes anything, so a small body cannot expand into gigabytes (decompression bombs). Such an image gets its
size error even if its pixels would also have failed ALPHA or been truncated.
"""

from __future__ import annotations

import binascii
import io
import struct
from dataclasses import dataclass
from typing import Final

import numpy as np
from PIL import Image

from validator._render import semantic
from validator.report import ContractError
from validator.spec import ModelSpec, SizeLimits
from validator.types import ImageSize, InputImage, Pixels

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_JPEG_MAGIC: Final = b"\xff\xd8\xff"
_OTHER_MAGIC: Final = (
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)
# JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic); not DHT (C4), JPG (C8), DAC (CC).
_SOF_MARKERS: Final = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
_PNG_KINDS: Final = {0: "grey", 2: "rgb", 3: "palette", 4: "grey", 6: "rgb"}


@dataclass(frozen=True)
class Header:
    """What the file header says, before any pixel is decoded."""

    fmt: str  # "PNG" or "JPEG"
    size: ImageSize
    colour: str  # "rgb", "palette", "grey", "cmyk"
    depth: int


@dataclass(frozen=True)
class Checked:
    """The outcome for one image field: the decoded image, or the first failure.

    `size` is known as soon as the header was read, even when a later check failed. `bad_mask_pixels` counts
    pixels that are not pure black or white (masks only; 0 otherwise).
    """

    image: InputImage | None
    size: ImageSize | None
    error: ContractError | None
    bad_mask_pixels: int = 0


def _fail(pointer: str, rule: str, size: ImageSize | None = None, **parts: object) -> Checked:
    error = ContractError(stage="semantic", pointer=pointer, keyword=rule, detail=semantic(rule, **parts))
    return Checked(image=None, size=size, error=error)


def decode_base64(text: str) -> bytes | None:
    """Strict standard base64, padding optional (docs/CONTRACT.md §5.1). None when invalid."""
    missing = -len(text) % 4
    if missing == 3:
        return None
    try:
        return binascii.a2b_base64(text + "=" * missing if missing else text, strict_mode=True)
    except (binascii.Error, ValueError):
        return None


def sniff(data: bytes) -> str:
    """The format named by the magic bytes: PNG, JPEG, GIF, WEBP, BMP, TIFF or `unknown format`."""
    if data.startswith(_PNG_MAGIC):
        return "PNG"
    if data.startswith(_JPEG_MAGIC):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    for magic, name in _OTHER_MAGIC:
        if data.startswith(magic):
            return name
    return "unknown format"


def png_header(data: bytes) -> Header | None:
    """Parse the IHDR chunk; None when it is missing or invalid."""
    if len(data) < 33 or data[8:16] != b"\x00\x00\x00\x0dIHDR":
        return None
    width, height, depth, colour_type = struct.unpack(">IIBB", data[16:26])
    if width == 0 or height == 0 or colour_type not in _PNG_KINDS or depth not in (1, 2, 4, 8, 16):
        return None
    return Header("PNG", ImageSize(width, height), _PNG_KINDS[colour_type], depth)


def jpeg_header(data: bytes) -> Header | None:
    """Walk the JPEG markers up to the first start-of-frame; None when there is none."""
    pos, end = 2, len(data)
    while pos + 4 <= end:
        if data[pos] != 0xFF:
            return None
        marker = data[pos + 1]
        if marker == 0xFF:  # fill byte
            pos += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # standalone markers carry no length
            pos += 2
            continue
        if marker in (0xD9, 0xDA):  # end of image, or scan data before any frame header
            return None
        (length,) = struct.unpack(">H", data[pos + 2 : pos + 4])
        if marker in _SOF_MARKERS:
            return _sof(data[pos + 4 : pos + 2 + length])
        pos += 2 + length
    return None


def _sof(segment: bytes) -> Header | None:
    if len(segment) < 6:
        return None
    depth, height, width, components = struct.unpack(">BHHB", segment[:6])
    colour = {1: "grey", 3: "rgb", 4: "cmyk"}.get(components)
    if width == 0 or height == 0 or colour is None:
        return None
    return Header("JPEG", ImageSize(width, height), colour, depth)


def _depth_kind(header: Header, mask: bool) -> str | None:
    """SEM-IMG-DEPTH kind, or None when the colour model is accepted (docs/CONTRACT.md §5.1, §5.3).

    A 16-bit greyscale image is reported as `greyscale` when greyscale is not allowed (non-masks), and as
    `16-bit` on masks, where greyscale is allowed.
    """
    if header.colour == "cmyk":
        return "CMYK"
    if header.colour == "grey" and not mask:
        return "greyscale"
    if header.depth == 16:
        return "16-bit"
    return None


def _size_rule(size: ImageSize, spec: ModelSpec) -> tuple[str, dict[str, object]] | None:
    """The first failing docs/CONTRACT.md §5.2 size rule for this model, with its message parts."""
    w, h = size.width, size.height
    if spec.nova_input is not None:
        return _nova_size_rule(w, h, spec.nova_input)
    limit = spec.titan_input_max_side or 0
    if max(w, h) > limit:
        return "SEM-IMG-TITAN-SIDE", {"limit": limit, "w": w, "h": h}
    return None


def _nova_size_rule(w: int, h: int, lim: SizeLimits) -> tuple[str, dict[str, object]] | None:
    if not (lim.min_side <= w <= lim.max_side and lim.min_side <= h <= lim.max_side):
        return "SEM-IMG-SIDES", {"low": lim.min_side, "high": lim.max_side, "w": w, "h": h}
    if max(w, h) > lim.max_ratio * min(w, h):
        return "SEM-IMG-RATIO", {"ratio": lim.max_ratio, "w": w, "h": h}
    if w * h > lim.max_pixels:
        return "SEM-IMG-PIXELS", {"limit": lim.max_pixels, "w": w, "h": h, "pixels": w * h}
    return None


def _too_big(size: ImageSize, spec: ModelSpec) -> bool:
    """True when decoding must not even be tried (decompression-bomb guard)."""
    w, h = size.width, size.height
    if spec.nova_input is not None:
        lim = spec.nova_input
        return max(w, h) > lim.max_side or w * h > lim.max_pixels
    return max(w, h) > (spec.titan_input_max_side or 0)


def check_image(text: str, pointer: str, spec: ModelSpec, *, mask: bool) -> Checked:
    """Run BASE64 → FORMAT → DEPTH → ALPHA → size (→ mask colour count) on one image field."""
    data = decode_base64(text)
    if data is None:
        return _fail(pointer, "SEM-IMG-BASE64")
    fmt = sniff(data)
    if fmt not in ("PNG", "JPEG"):
        return _fail(pointer, "SEM-IMG-FORMAT", kind=fmt)
    header = png_header(data) if fmt == "PNG" else jpeg_header(data)
    if header is None or header.depth not in (1, 2, 4, 8, 16) or (fmt == "JPEG" and header.depth != 8):
        return _fail(pointer, "SEM-IMG-FORMAT", kind=f"undecodable {fmt}")
    size = header.size
    kind = _depth_kind(header, mask)
    if kind is not None:
        return _fail(pointer, "SEM-IMG-DEPTH", size, kind=kind)
    rule = _size_rule(size, spec)
    if rule is not None and _too_big(size, spec):
        return _fail(pointer, rule[0], size, **rule[1])
    return _decode(data, header, text, pointer, rule, mask)


# Progressive JPEG decoding costs time per scan: 200,000 near-empty scans in 4.6 MB took a minute of CPU.
# Encoders write about 10 scans (libjpeg's progressive script), rarely a few dozen; past this many the image
# is refused as undecodable before any pixel is decoded.
MAX_JPEG_SCANS: Final = 256


def jpeg_scan_count(data: bytes) -> int:
    """How many start-of-scan markers (FF DA) the bytes hold, counted without decoding.

    Entropy-coded data never holds FF DA (an FF there is followed by 00 or a restart marker), so this counts
    every scan; an FF DA inside another segment (an EXIF thumbnail) can only raise the count.
    """
    return data.count(b"\xff\xda")


def _decode(
    data: bytes,
    header: Header,
    text: str,
    pointer: str,
    rule: tuple[str, dict[str, object]] | None,
    mask: bool,
) -> Checked:
    size = header.size
    if header.fmt == "JPEG" and jpeg_scan_count(data) > MAX_JPEG_SCANS:
        return _fail(pointer, "SEM-IMG-FORMAT", size, kind=f"undecodable {header.fmt}")
    try:
        with Image.open(io.BytesIO(data), formats=[header.fmt]) as img:
            img.load()
            if img.size != (size.width, size.height):
                raise ValueError("size differs from header")
            rgb, translucent, bad = _pixels(img, mask)
    except Exception:  # Pillow raises OSError, SyntaxError, ValueError, EOFError, DecompressionBombError...
        return _fail(pointer, "SEM-IMG-FORMAT", size, kind=f"undecodable {header.fmt}")
    if translucent:
        return _fail(pointer, "SEM-IMG-ALPHA", size, n=translucent)
    if rule is not None:
        return _fail(pointer, rule[0], size, **rule[1])
    image = InputImage(pointer=pointer, base64=text, pixels=rgb)
    return Checked(image=image, size=size, error=None, bad_mask_pixels=bad)


def _pixels(img: Image.Image, mask: bool) -> tuple[Pixels, int, int]:
    """RGB pixels (H x W x 3 uint8), the count of pixels with alpha < 255, and (masks) non-pure pixels."""
    mode = img.mode
    if mode in ("RGB", "RGBA"):
        arr: Pixels = np.asarray(img)
        if mode == "RGBA":
            translucent = int(np.count_nonzero(arr[:, :, 3] != 255))
            arr = np.ascontiguousarray(arr[:, :, :3])
        else:
            translucent = _keyed(arr, img.info.get("transparency"))
        return arr, translucent, _bad_rgb(img, arr) if mask else 0
    if mode == "P":
        return _palette(img, mask)
    return _grey(img)


def _keyed(arr: Pixels, key: object) -> int:
    """Pixels matching a PNG tRNS colour key (fully transparent)."""
    if key is None:
        return 0
    if isinstance(key, tuple):
        return int(np.count_nonzero(np.all(arr == np.asarray(key, dtype=np.int64), axis=-1)))
    return int(np.count_nonzero(arr == key)) if isinstance(key, int) else 0


def _palette(img: Image.Image, mask: bool) -> tuple[Pixels, int, int]:
    indices = np.asarray(img)
    translucent = 0
    key = img.info.get("transparency")
    if key is not None:
        alpha = np.full(256, 255, dtype=np.uint8)
        if isinstance(key, bytes):
            alpha[: len(key)] = np.frombuffer(key[:256], dtype=np.uint8)
        elif isinstance(key, int) and 0 <= key < 256:
            alpha[key] = 0
        counts = np.bincount(indices.ravel(), minlength=256)
        translucent = int(counts[alpha < 255].sum())
        # Counted; drop it so convert() does not warn that byte transparency belongs in RGBA.
        del img.info["transparency"]
    rgb: Pixels = np.asarray(img.convert("RGB"))
    return rgb, translucent, _bad_rgb(None, rgb) if mask else 0


def _grey(img: Image.Image) -> tuple[Pixels, int, int]:
    """Greyscale masks (L, LA, 1-bit, I;16 never reaches here: 16-bit is rejected from the header)."""
    translucent = 0
    if img.mode == "LA":
        la = np.asarray(img)
        translucent = int(np.count_nonzero(la[:, :, 1] != 255))
        grey = np.ascontiguousarray(la[:, :, 0])
    else:
        if img.mode != "L":
            img = img.convert("L")
        grey = np.asarray(img)
        translucent = _keyed(grey, img.info.get("transparency"))
    bad = int(grey.size - np.count_nonzero((grey == 0) | (grey == 255)))
    rgb: Pixels = np.repeat(grey[:, :, np.newaxis], 3, axis=2)
    return rgb, translucent, bad


def _bad_rgb(img: Image.Image | None, arr: Pixels) -> int:
    """Count pixels that are neither (0,0,0) nor (255,255,255) (docs/CONTRACT.md §5.3: no tolerance)."""
    if img is not None and img.mode == "RGB":
        colours = img.getcolors(2)  # fast path in C: a valid mask has at most two colours
        if colours is not None and all(c in ((0, 0, 0), (255, 255, 255)) for _, c in colours):
            return 0
    first = arr[:, :, 0]
    pure = ((first == 0) | (first == 255)) & (arr[:, :, 1] == first) & (arr[:, :, 2] == first)
    return int(first.size - np.count_nonzero(pure))
