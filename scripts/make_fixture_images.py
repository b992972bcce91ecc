#!/usr/bin/env python3
"""Write the small, deterministic images under fixtures/images/ (the docs/CONTRACT.md §5 cases).

Run from the repository root: `python scripts/make_fixture_images.py`. The outputs are committed; rerunning
rewrites them byte for byte with the same Pillow/zlib. Flat colours and simple shapes keep the PNGs tiny.
Files whose name states a count (e.g. transparent pixels) are drawn so that the count is exact; the fixture
cases quote those counts in their expected messages.
"""

from __future__ import annotations

import struct
import sys
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

OUT = Path(__file__).resolve().parent.parent / "fixtures" / "images"


def scene(width: int, height: int) -> Image.Image:
    """An opaque RGB picture: sky, ground and a sun, all flat colours."""
    img = Image.new("RGB", (width, height), (90, 160, 230))
    draw = ImageDraw.Draw(img)
    draw.rectangle((0, height * 2 // 3, width, height), fill=(60, 140, 60))
    r = min(width, height) // 8
    draw.ellipse((width // 5 - r, height // 4 - r, width // 5 + r, height // 4 + r), fill=(250, 220, 60))
    return img


def condition(width: int, height: int) -> Image.Image:
    """A condition image with clear edges: white background, black outlines of a square, circle, triangle."""
    img = Image.new("RGB", (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(img)
    w, h = width, height
    draw.rectangle((w // 10, h // 10, w * 4 // 10, h * 4 // 10), outline=(0, 0, 0), width=6)
    draw.ellipse((w * 6 // 10, h // 10, w * 9 // 10, h * 4 // 10), outline=(0, 0, 0), width=6)
    draw.polygon(
        [(w // 2, h * 55 // 100), (w * 2 // 10, h * 9 // 10), (w * 8 // 10, h * 9 // 10)], outline=(0, 0, 0)
    )
    return img


def mask(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """White (keep) with a black (edit) block aligned to 16 px, so JPEG q100 keeps it pure."""
    img = Image.new(mode, (width, height), "white")
    ImageDraw.Draw(img).rectangle(
        (width // 4, height // 4, width * 3 // 4 - 1, height * 3 // 4 - 1), fill="black"
    )
    return img


def round_mask(width: int, height: int) -> Image.Image:
    """White with a black disc: its curved edge is where lossy JPEG creates grey pixels."""
    img = Image.new("RGB", (width, height), "white")
    ImageDraw.Draw(img).ellipse((width // 4, height // 4, width * 3 // 4, height * 3 // 4), fill="black")
    return img


def save(img: Image.Image, name: str, **options: object) -> None:
    fmt = {"png": "PNG", "jpg": "JPEG", "gif": "GIF", "webp": "WEBP", "bmp": "BMP", "tif": "TIFF"}
    img.save(OUT / name, fmt[name.rsplit(".", 1)[1]], **options)


def png(img: Image.Image, name: str, **options: object) -> None:
    save(img, name, compress_level=9, **options)


def rgba_transparent() -> Image.Image:
    """512x512 RGBA: a 10x10 block with alpha 0 and a 10x10 block with alpha 128 (200 pixels below 255)."""
    arr = np.array(scene(512, 512).convert("RGBA"))
    arr[0:10, 0:10, 3] = 0
    arr[100:110, 100:110, 3] = 128
    return Image.fromarray(arr, "RGBA")


def palette(transparent: bool) -> Image.Image:
    """512x512 palette image; with tRNS, palette index 1 (a 20x20 block: 400 pixels) is transparent."""
    img = scene(512, 512).quantize(colors=8, dither=Image.Dither.NONE)
    arr = np.array(img)
    arr[arr == 1] = 0
    arr[0:20, 0:20] = 1
    out = Image.fromarray(arr, "P")
    out.putpalette(img.getpalette() or [])
    if transparent:
        out.info["transparency"] = 1
    return out


def rgb_colour_key() -> tuple[Image.Image, tuple[int, int, int]]:
    """512x512 RGB whose tRNS colour key (1,2,3) matches a 5x5 block: 25 transparent pixels."""
    arr = np.array(scene(512, 512))
    arr[50:55, 50:55] = (1, 2, 3)
    return Image.fromarray(arr, "RGB"), (1, 2, 3)


def non_pure_mask() -> Image.Image:
    """512x512 mask with a 4x4 block of grey (128,128,128) and one (0,0,1) pixel: 17 other pixels."""
    arr = np.array(mask(512, 512))
    arr[0:4, 0:4] = 128
    arr[300, 300] = (0, 0, 1)
    return Image.fromarray(arr, "RGB")


def sixteen_bit_rgb(width: int, height: int) -> bytes:
    """A 16-bit-per-channel RGB PNG (colour type 2, depth 16), written by hand: Pillow cannot save one."""
    row = b"\x00" + b"\x40\x00\x80\x00\xc0\x00" * width
    return _png_bytes(width, height, 16, 2, zlib.compress(row * height, 9))


def sixteen_bit_grey(width: int, height: int) -> bytes:
    """A 16-bit greyscale PNG with a white/black split."""
    half = height // 2
    white, black = b"\x00" + b"\xff\xff" * width, b"\x00" + b"\x00\x00" * width
    return _png_bytes(width, height, 16, 0, zlib.compress(white * half + black * (height - half), 9))


def bomb() -> bytes:
    """A PNG whose IHDR declares 100000x100000 RGB; the pixel data is a few bytes and never decoded."""
    return _png_bytes(100_000, 100_000, 8, 2, zlib.compress(b"\x00" * 1024, 9))


def _png_bytes(width: int, height: int, depth: int, colour_type: int, idat: bytes) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def truncated(source: Path, keep: float) -> bytes:
    data = source.read_bytes()
    return data[: int(len(data) * keep)]


def write_bytes(name: str, make: Callable[[], bytes]) -> None:
    (OUT / name).write_bytes(make())


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    for w, h in ((512, 512), (1024, 1024), (320, 320), (1280, 720), (1024, 768), (768, 1152)):
        png(scene(w, h), f"rgb_{w}x{h}.png")
        png(mask(w, h), f"mask_{w}x{h}.png")
    save(scene(512, 512), "rgb_512x512.jpg", quality=90)
    png(condition(512, 512), "condition_512x512.png")
    png(condition(1024, 1024), "condition_1024x1024.png")
    png(mask(512, 512, "L"), "mask_grey_512x512.png")
    png(mask(512, 512, "1"), "mask_1bit_512x512.png")
    save(mask(512, 512), "mask_q100_512x512.jpg", quality=100, subsampling=0)
    save(mask(512, 512, "L"), "mask_grey_q100_512x512.jpg", quality=100)
    save(round_mask(512, 512), "mask_q50_512x512.jpg", quality=50)  # compression adds other colours
    png(mask(640, 640), "mask_640x640.png")
    png(non_pure_mask(), "mask_nonpure_512x512.png")
    write_bytes("mask_grey16_512x512.png", lambda: sixteen_bit_grey(512, 512))
    png(scene(512, 512).convert("RGBA"), "rgba_opaque_512x512.png")
    png(rgba_transparent(), "rgba_transparent_512x512.png")
    png(palette(False), "palette_512x512.png")
    png(palette(True), "palette_trns_512x512.png")
    keyed, key = rgb_colour_key()
    png(keyed, "rgb_trns_512x512.png", transparency=key)
    write_bytes("rgb16_512x512.png", lambda: sixteen_bit_rgb(512, 512))
    png(scene(512, 512).convert("L"), "grey_512x512.png")
    png(scene(512, 512).convert("LA"), "grey_alpha_512x512.png")
    save(scene(512, 512).convert("L"), "grey_512x512.jpg", quality=90)
    save(scene(512, 512).convert("CMYK"), "cmyk_512x512.jpg", quality=90)
    save(scene(64, 64), "image_64x64.gif")
    save(scene(64, 64), "image_64x64.webp", lossless=True)
    save(scene(64, 64), "image_64x64.bmp")
    save(scene(64, 64), "image_64x64.tif")
    write_bytes("truncated_1024x1024.png", lambda: truncated(OUT / "rgb_1024x1024.png", 0.5))
    write_bytes("truncated_512x512.jpg", lambda: truncated(OUT / "rgb_512x512.jpg", 0.5))
    write_bytes("bomb_100000x100000.png", bomb)
    write_bytes("not_an_image.txt", lambda: b"hello, this is not an image\n")
    png(scene(500, 333), "rgb_500x333.png")  # Nova inputs need not be divisible by 16
    png(scene(1280, 320), "rgb_1280x320.png")  # Nova: exactly 4:1
    png(scene(256, 256), "rgb_256x256.png")  # Nova: sides below 320
    png(scene(1600, 320), "rgb_1600x320.png")  # Nova: ratio 5:1
    png(scene(2100, 2100), "rgb_2100x2100.png")  # Nova: 4,410,000 pixels
    png(scene(1536, 1024), "rgb_1536x1024.png")  # Titan: longer side over 1408
    return 0


if __name__ == "__main__":
    sys.exit(main())
