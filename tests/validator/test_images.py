"""Input image rules (docs/CONTRACT.md §5, §7.3 SEM-IMG-*, SEM-MASK-*): decoding once, into RGB pixels."""

from __future__ import annotations

import base64
import io
import struct
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from PIL import Image

from validator import validate_request
from validator._images import check_image, decode_base64, jpeg_header, png_header, sniff
from validator.spec import MODEL_SPECS
from validator.types import InPaintingParams, InvokeRequest, ModelId

NOVA_SPEC = MODEL_SPECS[ModelId.NOVA_CANVAS]
TITAN_SPEC = MODEL_SPECS[ModelId.TITAN_V2]


def encode(img: Image.Image, fmt: str = "PNG", **options: object) -> str:
    out = io.BytesIO()
    img.save(out, fmt, **options)
    return base64.b64encode(out.getvalue()).decode()


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("QUJD", True),
        ("QUI=", True),
        ("QUI", True),
        ("QQ==", True),
        ("QQ", True),
        ("", True),
        ("Q", False),
        ("QUJDR", False),
        ("QU JD", False),
        ("QUJD\n", False),
        ("QU-_", False),
        ("QQ==QQ==", False),
        ("é", False),
        ("data:image/png;base64,QUJD", False),
    ],
)
def test_strict_base64(text: str, ok: bool) -> None:
    assert (decode_base64(text) is not None) is ok


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"\x89PNG\r\n\x1a\nxxxx", "PNG"),
        (b"\xff\xd8\xff\xe0", "JPEG"),
        (b"GIF89a..", "GIF"),
        (b"GIF87a..", "GIF"),
        (b"RIFF\x00\x00\x00\x00WEBPVP8 ", "WEBP"),
        (b"BM......", "BMP"),
        (b"II*\x00", "TIFF"),
        (b"MM\x00*", "TIFF"),
        (b"", "unknown format"),
        (b"\xff\xd8", "unknown format"),
        (b"RIFF\x00\x00\x00\x00WAVE", "unknown format"),
    ],
)
def test_sniff(data: bytes, kind: str) -> None:
    assert sniff(data) == kind


def test_pixels_are_rgb_uint8_and_exact(b64: Callable[[str], str]) -> None:
    arr = np.zeros((400, 500, 3), np.uint8)
    arr[:, :250] = (10, 20, 30)
    checked = check_image(encode(Image.fromarray(arr)), "#/x", NOVA_SPEC, mask=False)
    assert checked.error is None and checked.image is not None
    pixels = checked.image.pixels
    assert pixels.shape == (400, 500, 3) and pixels.dtype == np.uint8
    assert np.array_equal(pixels, arr)
    assert str(checked.image.size) == "500x400"


@pytest.mark.parametrize(
    "name", ["rgba_opaque_512x512.png", "palette_512x512.png", "rgb_512x512.jpg", "mask_grey_512x512.png"]
)
def test_every_accepted_mode_becomes_contiguous_rgb(name: str, b64: Callable[[str], str]) -> None:
    checked = check_image(b64(name), "#/x", NOVA_SPEC, mask=True)
    assert checked.image is not None
    pixels = checked.image.pixels
    assert pixels.shape == (512, 512, 3) and pixels.dtype == np.uint8 and pixels.flags["C_CONTIGUOUS"]


def test_greyscale_mask_expands_to_rgb(b64: Callable[[str], str]) -> None:
    checked = check_image(b64("mask_grey_512x512.png"), "#/m", NOVA_SPEC, mask=True)
    assert checked.image is not None and checked.bad_mask_pixels == 0
    pixels = checked.image.pixels
    assert set(np.unique(pixels)) == {0, 255}
    assert np.array_equal(pixels[..., 0], pixels[..., 2])


def test_bomb_is_refused_before_decoding(b64: Callable[[str], str], monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*args: object, **kwargs: object) -> None:
        raise AssertionError("Pillow must not be asked to open an oversized image")

    monkeypatch.setattr(Image, "open", never)
    for spec, detail in (
        (NOVA_SPEC, "each side must be between 320 and 4096 pixels, actual: 100000x100000"),
        (TITAN_SPEC, "longer side must be at most 1408 pixels, actual: 100000x100000"),
    ):
        checked = check_image(b64("bomb_100000x100000.png"), "#/x", spec, mask=False)
        assert checked.error is not None and checked.error.detail == detail


def test_jpeg_bomb_header_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    sof = (
        b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, 60000, 60000, 3) + b"\x01\x22\x00\x02\x11\x01\x03\x11\x01"
    )
    data = b"\xff\xd8" + sof + b"\xff\xd9"
    monkeypatch.setattr(Image, "open", lambda *a, **k: (_ for _ in ()).throw(AssertionError("decoded")))
    checked = check_image(base64.b64encode(data).decode(), "#/x", NOVA_SPEC, mask=False)
    assert checked.error is not None and checked.error.keyword == "SEM-IMG-SIDES"


def test_pillow_bomb_error_is_undecodable(monkeypatch: pytest.MonkeyPatch, b64: Callable[[str], str]) -> None:
    def bomb(*args: object, **kwargs: object) -> None:
        raise Image.DecompressionBombError("too big")

    monkeypatch.setattr(Image, "open", bomb)
    checked = check_image(b64("rgb_512x512.png"), "#/x", NOVA_SPEC, mask=False)
    assert (
        checked.error is not None
        and checked.error.detail == "must be a PNG or JPEG image, actual: undecodable PNG"
    )


def test_header_size_mismatch_is_undecodable() -> None:
    data = bytearray(base64.b64decode(encode(Image.new("RGB", (400, 400)))))
    crc_ok = zlib.crc32(bytes(data[12:29]))
    data[16:24] = struct.pack(">II", 500, 500)  # IHDR now lies; Pillow rejects the broken CRC or the size
    assert crc_ok != zlib.crc32(bytes(data[12:29]))
    checked = check_image(base64.b64encode(bytes(data)).decode(), "#/x", NOVA_SPEC, mask=False)
    assert checked.error is not None and checked.error.keyword == "SEM-IMG-FORMAT"


def test_headers() -> None:
    png = base64.b64decode(encode(Image.new("RGB", (321, 654))))
    header = png_header(png)
    assert header is not None and (header.size.width, header.size.height, header.colour) == (321, 654, "rgb")
    jpeg = base64.b64decode(encode(Image.new("RGB", (333, 444)), "JPEG", progressive=True))
    header = jpeg_header(jpeg)
    assert header is not None and (header.size.width, header.size.height, header.colour) == (333, 444, "rgb")
    assert png_header(png[:20]) is None and jpeg_header(b"\xff\xd8\xff\xd9") is None


def test_alpha_counts_translucent_not_just_transparent() -> None:
    arr = np.full((400, 400, 4), 255, np.uint8)
    arr[0, 0, 3] = 254
    arr[1, 1, 3] = 0
    checked = check_image(encode(Image.fromarray(arr, "RGBA")), "#/x", NOVA_SPEC, mask=False)
    assert checked.error is not None
    assert (
        checked.error.detail
        == "must not contain transparent or translucent pixels, actual: 2 pixels with alpha below 255"
    )


def test_palette_with_partial_alpha_table() -> None:
    img = Image.new("P", (400, 400), 0)
    img.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    img.paste(1, (0, 0, 10, 10))
    out = io.BytesIO()
    img.save(out, "PNG", transparency=bytes([255, 128]))  # index 1 is translucent: 100 pixels
    checked = check_image(base64.b64encode(out.getvalue()).decode(), "#/x", NOVA_SPEC, mask=False)
    assert checked.error is not None and checked.error.keyword == "SEM-IMG-ALPHA"
    assert checked.error.detail.endswith("actual: 100 pixels with alpha below 255")


def test_nova_input_size_rules_order() -> None:
    cases = {
        (300, 1400): "SEM-IMG-SIDES",  # a side below 320 wins over the ratio
        (1300, 320): "SEM-IMG-RATIO",
        (2048, 2049): "SEM-IMG-PIXELS",
        (1000, 1000): None,  # no divisibility rule for inputs
    }
    for (w, h), rule in cases.items():
        checked = check_image(encode(Image.new("RGB", (w, h))), "#/x", NOVA_SPEC, mask=False)
        assert (checked.error.keyword if checked.error else None) == rule, (w, h)


def test_titan_input_size_rule() -> None:
    for (w, h), ok in {(1408, 1408): True, (1409, 200): False, (100, 100): True}.items():
        checked = check_image(encode(Image.new("RGB", (w, h))), "#/x", TITAN_SPEC, mask=False)
        assert (checked.error is None) is ok


def test_valid_inpainting_request_carries_decoded_images(b64: Callable[[str], str]) -> None:
    body: dict[str, Any] = {
        "taskType": "INPAINTING",
        "inPaintingParams": {"image": b64("rgb_1280x720.png"), "maskImage": b64("mask_1280x720.png")},
    }
    report = validate_request(body)
    assert isinstance(report.request, InvokeRequest)
    params = report.request.params
    assert isinstance(params, InPaintingParams) and params.mask_image is not None
    assert params.image.pixels.shape == (720, 1280, 3)
    assert params.image.base64 == body["inPaintingParams"]["image"]
    assert params.image.pointer == "#/inPaintingParams/image"
    assert str(report.request.output_size) == "1280x720"


def test_all_independent_semantic_failures_are_listed(b64: Callable[[str], str]) -> None:
    body = {
        "taskType": "IMAGE_VARIATION",
        "imageVariationParams": {
            "images": [b64("image_64x64.gif"), b64("rgb_512x512.png"), b64("grey_512x512.png")]
        },
        "imageGenerationConfig": {"width": 1000},
    }
    report = validate_request(body)
    assert [e.keyword for e in report.errors] == ["SEM-SIZE-STEP", "SEM-IMG-FORMAT", "SEM-IMG-DEPTH"]
    assert [e.pointer for e in report.errors][1:] == [
        "#/imageVariationParams/images/0",
        "#/imageVariationParams/images/2",
    ]
    assert report.error is not None and report.error.message == report.errors[0].text
