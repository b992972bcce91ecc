"""Check an InvokeModel success body against the request that produced it (docs/CONTRACT.md §2.7, §8.3,
D10-D12; the Stability AI bodies: `validator.stability.response`, docs/CONTRACT.md §S3).

`validate_response(body, request)` returns a `ResponseReport` listing every problem as a
`ContractError(stage="response", ...)`:

* the body is a JSON object with only `images`, `maskImage` and `error` (key order is not checked);
* `images` is an array of strings; without `error` it holds exactly `numberOfImages` (1 for
  BACKGROUND_REMOVAL); with the "Some..." text, at least 1 and fewer than requested; with the "All..." text,
  none;
* `error`, when present, is one of the two real texts (never null);
* each image is standard base64 with padding (no `data:` prefix, no line breaks) of a PNG that decodes: chunk
  CRCs, IHDR, the zlib stream and the scanline filters are checked with the standard library. Its size is
  `request.output_size`; it is 8-bit RGBA (colour type 6) for BACKGROUND_REMOVAL and 8-bit RGB (type 2)
  otherwise;
* `maskImage` is present exactly when `request.returns_mask`, and is a black/white PNG of the source size.
"""

from __future__ import annotations

import binascii
import io
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Final

import numpy as np
from PIL import Image

from validator._parse import parse_document
from validator.messages import ALL_IMAGES_BLOCKED, SOME_IMAGES_BLOCKED
from validator.report import ContractError
from validator.stability.response import check_stability_response
from validator.stability.types import StabilityRequest
from validator.types import ImageSize, InvokeRequest, TaskType

__all__ = ["ResponseReport", "validate_response"]

_PNG_MAGIC: Final = b"\x89PNG\r\n\x1a\n"
_KEYS: Final = frozenset({"images", "maskImage", "error"})
_CHANNELS: Final = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}


@dataclass(frozen=True)
class ResponseReport:
    """The verdict on one response body."""

    errors: tuple[ContractError, ...]

    @property
    def valid(self) -> bool:
        """True when the response honours the contract."""
        return not self.errors


@dataclass(frozen=True)
class _Png:
    size: ImageSize
    depth: int
    colour_type: int
    interlaced: bool


def _error(pointer: str, keyword: str, detail: str) -> ContractError:
    return ContractError(stage="response", pointer=pointer, keyword=keyword, detail=detail)


def validate_response(
    body: bytes | str | object, request: InvokeRequest | StabilityRequest
) -> ResponseReport:
    """Check a response body against the typed request it answers (a Stability AI request: docs/CONTRACT.md
    §S3)."""
    doc, reason = parse_document(body)
    if doc is None:
        return ResponseReport((_error("#", "json", f"not a JSON object: {reason}"),))
    if isinstance(request, StabilityRequest):
        return ResponseReport(tuple(check_stability_response(doc, request)))
    return ResponseReport(tuple(_check(doc, request)))


def _check(doc: dict[str, Any], request: InvokeRequest) -> Iterator[ContractError]:
    for key in doc:
        if key not in _KEYS:
            yield _error("#", "additionalProperties", f"unexpected key [{key}]")
    yield from _check_error_field(doc)
    images = doc.get("images")
    if not isinstance(images, list):
        yield _error("#/images", "images", "must be an array of base64 PNG strings")
    else:
        yield from _check_count(images, doc.get("error"), request)
        rgba = request.task_type is TaskType.BACKGROUND_REMOVAL
        for index, text in enumerate(images):
            yield from _check_image(text, f"#/images/{index}", request.output_size, 6 if rgba else 2)
    yield from _check_mask(doc, request)


def _check_error_field(doc: dict[str, Any]) -> Iterator[ContractError]:
    if "error" in doc and doc["error"] not in (SOME_IMAGES_BLOCKED, ALL_IMAGES_BLOCKED):
        yield _error("#/error", "error", "must be absent or one of the two content-filter texts")


def _check_count(images: list[Any], error: object, request: InvokeRequest) -> Iterator[ContractError]:
    wanted = 1 if request.task_type is TaskType.BACKGROUND_REMOVAL else request.config.number_of_images
    count = len(images)
    if error == ALL_IMAGES_BLOCKED and count != 0:
        yield _error("#/images", "count", f"must be empty when all images are blocked, actual: {count}")
    elif error == SOME_IMAGES_BLOCKED and not 1 <= count < wanted:
        detail = f"must hold 1 to {wanted - 1} images when some are blocked, actual: {count}"
        yield _error("#/images", "count", detail)
    elif error is None and count != wanted:
        yield _error("#/images", "count", f"must hold {wanted} images, actual: {count}")


def _decode(text: object, pointer: str) -> tuple[bytes | None, ContractError | None]:
    if not isinstance(text, str):
        return None, _error(pointer, "type", "must be a base64 string")
    if len(text) % 4:
        return None, _error(
            pointer, "base64", "must be padded standard base64 (no data: prefix, no line breaks)"
        )
    try:
        return binascii.a2b_base64(text, strict_mode=True), None
    except (binascii.Error, ValueError):
        return None, _error(
            pointer, "base64", "must be padded standard base64 (no data: prefix, no line breaks)"
        )


def _check_image(text: object, pointer: str, size: ImageSize, colour_type: int) -> Iterator[ContractError]:
    data, problem = _decode(text, pointer)
    if problem is not None or data is None:
        yield problem or _error(pointer, "base64", "invalid base64")
        return
    png, reason = read_png(data)
    if png is None:
        yield _error(pointer, "png", f"must be a PNG that decodes: {reason}")
        return
    if png.size != size:
        yield _error(pointer, "size", f"must be {size}, actual: {png.size}")
    mode = "RGBA (colour type 6)" if colour_type == 6 else "RGB (colour type 2)"
    if png.colour_type != colour_type or png.depth != 8:
        actual = f"colour type {png.colour_type}, bit depth {png.depth}"
        yield _error(pointer, "mode", f"must be 8-bit {mode}, actual: {actual}")


def _check_mask(doc: dict[str, Any], request: InvokeRequest) -> Iterator[ContractError]:
    present = "maskImage" in doc
    if present != request.returns_mask:
        detail = "must be present when returnMask is true" if request.returns_mask else "must be absent"
        yield _error("#/maskImage", "maskImage", detail)
        return
    if not present:
        return
    data, problem = _decode(doc["maskImage"], "#/maskImage")
    if problem is not None or data is None:
        yield problem or _error("#/maskImage", "base64", "invalid base64")
        return
    png, reason = read_png(data)
    if png is None:
        yield _error("#/maskImage", "png", f"must be a PNG that decodes: {reason}")
        return
    if png.size != request.output_size:
        yield _error("#/maskImage", "size", f"must be {request.output_size}, actual: {png.size}")
    elif not _black_white(data):
        yield _error("#/maskImage", "colors", "must contain only pure black and pure white pixels")


def _black_white(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data), formats=["PNG"]) as img:
            arr = np.asarray(img.convert("RGB"))
    except Exception:  # read_png passed, so Pillow failing here is an exotic PNG: count it as not black/white
        return False
    first = arr[:, :, 0]
    pure = ((first == 0) | (first == 255)) & (arr[:, :, 1] == first) & (arr[:, :, 2] == first)
    return bool(pure.all())


def read_png(data: bytes) -> tuple[_Png | None, str]:
    """Check a PNG with the standard library: signature, chunk CRCs, IHDR, IDAT stream, filters, IEND."""
    if not data.startswith(_PNG_MAGIC):
        return None, "no PNG signature"
    header: _Png | None = None
    idat: list[bytes] = []
    pos = len(_PNG_MAGIC)
    while pos + 12 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        chunk = data[pos + 8 : pos + 8 + length]
        crc = data[pos + 8 + length : pos + 12 + length]
        if len(chunk) != length or len(crc) != 4 or zlib.crc32(kind + chunk) != struct.unpack(">I", crc)[0]:
            return None, f"truncated or corrupt {kind!r} chunk"
        if kind == b"IHDR" and length == 13:
            width, height, depth, colour_type = struct.unpack(">IIBB", chunk[:10])
            header = _Png(ImageSize(width, height), depth, colour_type, chunk[12] == 1)
        elif kind == b"IDAT":
            idat.append(chunk)
        elif kind == b"IEND":
            return _check_pixels(header, b"".join(idat))
        pos += 12 + length
    return None, "no IEND chunk"


def _check_pixels(header: _Png | None, stream: bytes) -> tuple[_Png | None, str]:
    if header is None or header.colour_type not in _CHANNELS or header.size.width * header.size.height == 0:
        return None, "missing or invalid IHDR"
    bits = _CHANNELS[header.colour_type] * header.depth
    stride = (header.size.width * bits + 7) // 8 + 1
    try:
        raw = zlib.decompress(stream)
    except zlib.error:
        return None, "corrupt IDAT stream"
    if header.interlaced:  # Adam7 passes have their own strides; the stream decompressed, which is enough
        return header, ""
    if len(raw) != stride * header.size.height:
        return None, "IDAT holds the wrong amount of pixel data"
    if max(raw[::stride]) > 4:
        return None, "invalid scanline filter"
    return header, ""
