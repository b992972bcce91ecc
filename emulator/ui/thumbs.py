"""Small thumbnails of journaled images: the JPEG the journal stores per image, and the PNG the page shows
(masks drawn as a translucent red layer over their image).

The only Pillow user in `emulator.ui`. The page decodes only what the journal stored: its own small JPEG
thumbnails, or (from another `JournalReader`) a base64 string. Decoding is bounded like the validator's: at
most `MAX_PIXELS` pixels and `MAX_JPEG_SCANS` progressive scans, both checked before any pixel is decoded;
anything else raises `ThumbnailError` and the view answers 404.
"""

from __future__ import annotations

import base64
import binascii
import io

import numpy as np
from PIL import Image, ImageChops, ImageFilter, UnidentifiedImageError

from emulator.ui.images import image_data
from validator._images import MAX_JPEG_SCANS, jpeg_scan_count

MAX_SIDE = 160
STORED_QUALITY = 80  # the journal's JPEG thumbnails: about 5-10 KB at 160 px
OVERLAY_RGBA = (230, 30, 40, 130)  # translucent red over the edited area
OUTLINE_RGBA = (200, 0, 20, 255)  # its border, so a red edit over a red picture still shows
_CHECKER = ((236, 236, 236), (204, 204, 204))
_CHECKER_CELL = 8
MAX_PIXELS = 4_194_304  # the largest image Bedrock accepts or returns (Nova: 4,194,304 pixels)


class ThumbnailError(ValueError):
    """The journaled value is not a decodable image (elided, truncated or not base64)."""


def decode_image(data: object) -> Image.Image:
    """A journaled image (base64 text or `$image` reference), decoded; raises `ThumbnailError` otherwise."""
    text = image_data(data)
    if text is None:
        raise ThumbnailError("no image kept")
    try:
        raw = base64.b64decode(text, validate=False)
        image = Image.open(io.BytesIO(raw), formats=["PNG", "JPEG", "WEBP"])
        if image.width * image.height > MAX_PIXELS:
            raise ThumbnailError("image too large to preview")
        if image.format == "JPEG" and jpeg_scan_count(raw) > MAX_JPEG_SCANS:
            raise ThumbnailError("too many progressive JPEG scans to preview")
        image.load()
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError) as exc:
        raise ThumbnailError(str(exc)) from None
    return image


def from_pixels(pixels: np.ndarray) -> Image.Image:
    """An image of decoded H x W x 3 (RGB) or H x W x 4 (RGBA) uint8 pixels."""
    channels = pixels.shape[2] if pixels.ndim == 3 else 1
    if channels not in (1, 3, 4) or pixels.dtype != np.uint8:
        raise ValueError(f"not an image: {pixels.dtype} x {channels} channels")
    return Image.fromarray(np.ascontiguousarray(pixels))  # L, RGB or RGBA by shape


def stored_thumbnail(image: Image.Image, max_side: int = MAX_SIDE) -> bytes:
    """The journal's thumbnail of one image: JPEG of `image` shrunk to fit `max_side`, transparency shown
    over a checkerboard (so no alpha channel is needed)."""
    small = image.copy()
    small.thumbnail((max_side, max_side), Image.Resampling.BILINEAR, reducing_gap=2.0)
    buf = io.BytesIO()
    _flatten(small).save(buf, "JPEG", quality=STORED_QUALITY)
    return buf.getvalue()


def image_thumbnail(image: Image.Image, max_side: int = MAX_SIDE) -> bytes:
    """PNG bytes of `image` shrunk to fit `max_side`; transparency shown over a checkerboard."""
    return encode(_flatten(_shrunk(image, max_side)))


def mask_thumbnail(
    mask: Image.Image, base: Image.Image | None, edited_is_white: bool, max_side: int = MAX_SIDE
) -> bytes:
    """PNG bytes of `base` with the edited area tinted red and outlined (on white when no base fits)."""
    edited = _shrunk(_edited_area(mask, edited_is_white), max_side)
    if base is None or base.size != mask.size:
        background = Image.new("RGB", edited.size, (255, 255, 255))
    else:
        background = _flatten(_shrunk(base, max_side))
    layer = Image.new("RGBA", edited.size, (0, 0, 0, 0))
    layer.paste(Image.new("RGBA", edited.size, OVERLAY_RGBA), mask=edited)
    outline = ImageChops.subtract(
        edited.filter(ImageFilter.MaxFilter(3)), edited.filter(ImageFilter.MinFilter(3))
    )
    layer.paste(Image.new("RGBA", edited.size, OUTLINE_RGBA), mask=outline)
    return encode(Image.alpha_composite(background.convert("RGBA"), layer).convert("RGB"))


def _edited_area(mask: Image.Image, edited_is_white: bool) -> Image.Image:
    """An L image, 255 where the mask marks the edited area (docs/CONTRACT.md §6: the colour depends on the
    task)."""
    grey = mask.convert("L").point(lambda v: 255 if v >= 128 else 0)
    return grey if edited_is_white else ImageChops.invert(grey)


def _shrunk(image: Image.Image, max_side: int) -> Image.Image:
    copy = image.copy()
    copy.thumbnail((max_side, max_side), Image.Resampling.BILINEAR)
    return copy


def _flatten(image: Image.Image) -> Image.Image:
    """RGB; images with an alpha channel are composited over a grey checkerboard so cut-outs are visible."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        return Image.alpha_composite(_checkerboard(rgba.size), rgba).convert("RGB")
    return image.convert("RGB")


def _checkerboard(size: tuple[int, int]) -> Image.Image:
    board = Image.new("RGBA", size, _CHECKER[0] + (255,))
    width, height = size
    for y in range(0, height, _CHECKER_CELL):
        for x in range((y // _CHECKER_CELL % 2) * _CHECKER_CELL, width, 2 * _CHECKER_CELL):
            board.paste(_CHECKER[1] + (255,), (x, y, x + _CHECKER_CELL, y + _CHECKER_CELL))
    return board


def encode(image: Image.Image) -> bytes:
    """PNG bytes with fixed settings (byte-stable for the same pixels, so ETags stay meaningful)."""
    buf = io.BytesIO()
    image.save(buf, "PNG", compress_level=6)
    return buf.getvalue()
