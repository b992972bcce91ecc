"""The HTTP side of a Bedrock request: its path and headers as sent, its body (read once, bounded), and the
bytes of a 200 response: Nova/Titan's (`success_body`), a Stability V2 model's (`stability_v2_body`) and
SDXL's (`sdxl_body`). JSON is decoded in one place only, the validator (`emulator.pipeline`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

import pybase64
from werkzeug.exceptions import ClientDisconnected
from werkzeug.wrappers import Request

from emulator.call import SDXL_SUCCESS, FinishReason, SuccessBody
from emulator.errors import ValidationException
from validator import messages
from validator.types import Pixels

READ_CHUNK = 1 << 16


def request_path(environ: Mapping[str, Any]) -> str:
    """The path as werkzeug's `Request.path` gives it (PATH_INFO as UTF-8, one leading slash)."""
    path = str(environ.get("PATH_INFO") or "").encode("latin-1", "replace").decode("utf-8", "replace")
    return "/" + path.lstrip("/")


def raw_request_path(environ: Mapping[str, Any]) -> tuple[str, bool]:
    """The request path as sent, and whether it is still percent-encoded.

    Servers that keep the raw target expose it as `RAW_URI` (gunicorn, werkzeug) or `REQUEST_URI` (uWSGI,
    werkzeug). Granian gives only `PATH_INFO`, already decoded once (bytes as latin-1, PEP 3333), so there
    the modelId must not be decoded again (it is decoded exactly once, docs/CONTRACT.md §2.2).
    """
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return str(raw).split("?", 1)[0], True
    path = str(environ.get("PATH_INFO", ""))
    return path.encode("latin-1", "replace").decode("utf-8", "replace"), False


def request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Request headers, names lowercased (as in HTTP/2). An empty Content-Type is kept: it is not an absent
    one (docs/CONTRACT.md §2.5.1), although werkzeug's `request.headers` drops it."""
    headers = {k[5:].replace("_", "-").lower(): str(v) for k, v in environ.items() if k.startswith("HTTP_")}
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if key in environ:
            headers[key.replace("_", "-").lower()] = str(environ[key])
    return headers


def read_body(req: Request, limit: int) -> bytes:
    """The body; bodies over `limit` bytes are refused from Content-Length, or while reading one sent
    without it (chunked, HTTP/2 DATA), never holding more than `limit + 1` bytes.

    A body that ends before its Content-Length (the client closed early) is refused as malformed, never
    processed as if complete. Granian's `wsgi.input` just ends early (no exception); werkzeug's own servers
    raise `ClientDisconnected`. A chunked body cut off before its last chunk cannot be told apart: Granian's
    `read(n)` ends the stream the same way as after a complete body (see docs/RELIABILITY.md).
    """
    length = req.content_length
    if length is not None and length > limit:
        raise ValidationException(messages.BODY_TOO_LARGE)
    try:
        body = _read_stream(req.stream, length, limit)
    except ClientDisconnected:
        raise ValidationException(messages.MALFORMED) from None
    if length is not None and len(body) < length:
        raise ValidationException(messages.MALFORMED)
    return body


def _read_stream(stream: IO[bytes], length: int | None, limit: int) -> bytes:
    first = stream.read(length) if length is not None else b""  # the common case: one read
    if length is not None and len(first) >= length:
        return first
    chunks, total = [first], len(first)
    while True:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - total))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit:
            raise ValidationException(messages.BODY_TOO_LARGE)


def success_body(
    images: tuple[bytes, ...], mask: bytes | None, error: str | None, previews: tuple[Pixels, ...] = ()
) -> SuccessBody:
    """The 200 body (docs/CONTRACT.md §2.7) of PNG `images`, an optional `mask` and the `error` text of
    blocked images: compact, keys in the order images, maskImage, error, with the byte span of each base64
    image in it; `previews` are kept with it for the journal's thumbnails."""
    body = _BodyWriter(b'{"images":[')
    spans = tuple(body.string(pybase64.b64encode(png), b"," if n else b"") for n, png in enumerate(images))
    body.add(b"]")
    mask_span = body.string(pybase64.b64encode(mask), b',"maskImage":') if mask is not None else None
    if error is not None:
        body.add(b',"error":' + json.dumps(error).encode())
    body.add(b"}")
    return SuccessBody(b"".join(body.parts), spans, mask_span, previews)


def stability_v2_body(
    seed: int, image: bytes | None, reason: FinishReason | None, preview: Pixels | None = None
) -> SuccessBody:
    """A Stability V2 model's 200 body (docs/CONTRACT.md §S3.1, §S3.2), compact: the image's
    `{"seeds":[n],"finish_reasons":[null],"images":["<b64>"]}` in that key order (D-S5), or, with a finish
    `reason`, `{"finish_reasons":["<reason>"]}` alone (D-S6). The image's span and `preview` are kept for
    the journal."""
    if reason is not None:
        body = b'{"finish_reasons":[' + json.dumps(reason.value).encode() + b"]}"
        return SuccessBody(body, seed=seed, finish_reason=reason.value)
    assert image is not None
    writer = _BodyWriter(b'{"seeds":[' + str(seed).encode() + b'],"finish_reasons":[null],"images":[')
    span = writer.string(pybase64.b64encode(image), b"")
    writer.add(b"]}")
    previews = (preview,) if preview is not None else ()
    return SuccessBody(b"".join(writer.parts), (span,), None, previews, seed=seed)


def sdxl_body(
    seed: int, png: bytes, finish: str = SDXL_SUCCESS, preview: Pixels | None = None
) -> SuccessBody:
    """SDXL's 200 body (docs/CONTRACT.md §S3.3, D-S7), compact:
    `{"result":"success","artifacts":[{"seed":n,"base64":"<png b64>","finishReason":"SUCCESS"}]}`;
    `CONTENT_FILTERED` carries the blurred picture, `ERROR` an empty `base64`."""
    writer = _BodyWriter(b'{"result":"success","artifacts":[{"seed":' + str(seed).encode() + b",")
    span = writer.string(pybase64.b64encode(png), b'"base64":')
    writer.add(b',"finishReason":' + json.dumps(finish).encode() + b"}]}")
    spans, previews = ((span,), (preview,) if preview is not None else ()) if png else ((), ())
    return SuccessBody(b"".join(writer.parts), spans, None, previews, seed=seed, finish_reason=finish)


class _BodyWriter:
    """Pieces of a body being written, and the offset where the next one starts."""

    def __init__(self, first: bytes) -> None:
        self.parts = [first]
        self.size = len(first)

    def add(self, piece: bytes) -> None:
        self.parts.append(piece)
        self.size += len(piece)

    def string(self, ascii_text: bytes, before: bytes) -> tuple[int, int]:
        """Append `before` and a JSON string holding `ascii_text` (no escaping needed); the text's span."""
        self.add(before + b'"')
        start = self.size
        self.add(ascii_text)
        self.add(b'"')
        return start, start + len(ascii_text)
