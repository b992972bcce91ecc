"""Journal entries: what one Bedrock call looked like, built from the pipeline's `Call` and the response.

Every image of the call (inputs the validator accepted, masks, outputs) is journaled as a reference with a
small JPEG thumbnail (at most `THUMB_SIDE` pixels a side, made from pixels already at hand: the validator's
decoded inputs, the pipeline's small copies of its outputs), so the journal page shows thumbnails at any
setting: `{"$image": {"sha256": ..., "length": n, "thumbnail": <base64 JPEG>, "base64": <kept whole when at
most `journal_image_cap` bytes>}}`, or `"elided": true` instead of `base64`. An image the validator refused
gets no thumbnail and is never decoded again. Any other string longer than `MAX_TEXT_CHARS` becomes
`{"$text": {"sha256": ..., "length": n, "preview": <first 512>}}`.

Everything else is bounded too, so one call cannot add megabytes to the journal: objects and arrays keep
their first `MAX_ITEMS` members (the rest counted under `"$more"`) while the body's budget of
`REQUEST_MAX_BYTES` lasts, the violation list its first `MAX_ERRORS`, and messages their first
`MAX_MESSAGE_CHARS` characters. Last, a whole entry is at most `ENTRY_MAX_BYTES` of JSON: over it, whole
images go first, then the request body, then the thumbnails (`fit_entry`).
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import threading
import weakref
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from decimal import Decimal
from typing import TypeVar

import numpy as np
from flask import Response

from emulator.call import Call, SuccessBody
from emulator.ui import thumbs
from validator import messages
from validator.stability.models import STABILITY_MODELS
from validator.stability.types import StabilityImage, StabilityRequest
from validator.types import InputImage

DecodedImage = InputImage | StabilityImage

# Body keys whose string values (or list items) are base64 images (docs/CONTRACT.md §3.3 and §2.7; a
# Stability model's `image`, `mask`, `init_image`, `style_image`, docs/CONTRACT.md §S4).
IMAGE_KEYS = frozenset(
    {
        "image",
        "images",
        "maskImage",
        "conditionImage",
        "referenceImage",
        "sourceImage",
        "mask",
        "init_image",
        "style_image",
    }
)
RECORDED_HEADERS = (
    "content-type",
    "accept",
    "content-length",
    "transfer-encoding",
    "user-agent",
    "amz-sdk-invocation-id",
    "amz-sdk-request",
    "x-amz-date",
    "x-amz-content-sha256",
)
PREVIEW_CHARS = 512
MAX_TEXT_CHARS = 4096  # Bedrock's longest text fields (prompts) are 1,024 characters
MAX_ITEMS = 200  # members kept per object or array of a journaled request body
REQUEST_MAX_BYTES = 64 * 1024  # about this much of a request body's JSON (images aside) is kept
ENTRY_MAX_BYTES = 512 * 1024  # one entry's stored JSON, thumbnails and images kept whole included
THUMB_SIDE = thumbs.MAX_SIDE
MAX_ERRORS = 100  # schema violations kept per entry (`errors_total` counts them all)
MAX_MESSAGE_CHARS = 16_384  # Bedrock's messages are short; a schema message lists every violation
MORE = "$more"
_T = TypeVar("_T")


def image_ref(
    value: str, cap: int, sha256: str | None = None, thumbnail: str | None = None
) -> dict[str, object]:
    """The bounded journal form of one base64 image string (`sha256`: its digest, when already known)."""
    if sha256 is None:
        sha256 = hashlib.sha256(value.encode("ascii", "replace")).hexdigest()
    ref: dict[str, object] = {"sha256": sha256, "length": len(value)}
    if thumbnail is not None:
        ref["thumbnail"] = thumbnail
    if len(value) <= cap:
        ref["base64"] = value
    else:
        ref["elided"] = True
    return {"$image": ref}


def _span_ref(view: memoryview, cap: int, sha256: str, thumbnail: str | None) -> dict[str, object]:
    """`image_ref` of a base64 image held as ASCII bytes: the string is only decoded when it is kept."""
    ref: dict[str, object] = {"sha256": sha256, "length": len(view)}
    if thumbnail is not None:
        ref["thumbnail"] = thumbnail
    if len(view) <= cap:
        ref["base64"] = str(view, "ascii")
    else:
        ref["elided"] = True
    return {"$image": ref}


def thumbnail_of_pixels(pixels: np.ndarray) -> str | None:
    """A base64 JPEG thumbnail of decoded pixels (an accepted input image, or the pipeline's preview of an
    output)."""
    try:
        return base64.b64encode(thumbs.stored_thumbnail(thumbs.from_pixels(pixels))).decode("ascii")
    except (ValueError, OSError):
        return None


def thumbnail_of_png(view: memoryview) -> str | None:
    """A base64 JPEG thumbnail of a base64 image the emulator produced itself (its own PNG output)."""
    try:
        image = thumbs.decode_image(str(view, "ascii"))
        return base64.b64encode(thumbs.stored_thumbnail(image)).decode("ascii")
    except (thumbs.ThumbnailError, ValueError, OSError):
        return None


def accepted_images(request: object) -> dict[str, DecodedImage]:
    """Every input image of a typed request the validator accepted, by its base64 text."""
    found: dict[str, DecodedImage] = {}

    def walk(node: object) -> None:
        if isinstance(node, InputImage | StabilityImage):
            found[node.base64] = node
        elif dataclasses.is_dataclass(node) and not isinstance(node, type):
            for item in dataclasses.fields(node):
                walk(getattr(node, item.name))
        elif isinstance(node, list | tuple):
            for item in node:
                walk(item)

    walk(request)
    return found


class _Budget:
    """Bytes of a request body's JSON still to keep (images aside); once spent, members are only counted."""

    def __init__(self, size: int) -> None:
        self.left = size

    def spend(self, value: object) -> None:
        self.left -= len(value) + 4 if isinstance(value, str) else 8


def bounded(
    value: object,
    cap: int,
    key: str | None = None,
    images: Mapping[str, DecodedImage] | None = None,
    budget: _Budget | None = None,
) -> object:
    """A JSON-ready copy of a request body with image strings replaced by `image_ref` (with a thumbnail when
    `images` holds the decoded image) and everything else bounded (see the module docstring)."""
    budget = budget if budget is not None else _Budget(REQUEST_MAX_BYTES)
    images = images or {}
    if isinstance(value, Mapping):
        kept: dict[str, object] = {}
        for name, item in _members(value.items(), budget):
            budget.spend(str(name))
            kept[str(name)] = bounded(item, cap, str(name), images, budget)
        if len(value) > len(kept):
            kept[MORE] = len(value) - len(kept)
        return kept
    if isinstance(value, list):
        items = [bounded(item, cap, key, images, budget) for item in _members(value, budget)]
        return items + [{MORE: len(value) - len(items)}] if len(value) > len(items) else items
    if isinstance(value, str) and key in IMAGE_KEYS:
        accepted = images.get(value)
        if accepted is None:
            return image_ref(value, cap)
        return image_ref(value, cap, accepted.sha256, thumbnail_of_pixels(accepted.pixels))
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        # Any other oversized string (a runaway prompt, an image under a misspelt key) stays bounded too.
        budget.left -= PREVIEW_CHARS + 128  # the preview, the digest and the reference's keys
        digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
        return {"$text": {"sha256": digest, "length": len(value), "preview": value[:PREVIEW_CHARS]}}
    budget.spend(value)
    if isinstance(value, Decimal):
        return float(value)  # JSON cannot carry the written form; the validator's messages already did
    return value


def _members(items: Iterable[_T], budget: _Budget) -> Iterator[_T]:
    """The first `MAX_ITEMS` members, fewer once the budget is spent."""
    for index, item in enumerate(items):
        if index >= MAX_ITEMS or budget.left <= 0:
            return
        yield item


def recorded_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers that matter to a client test: content negotiation, SDK ids, Bedrock's X-Amzn-* options."""
    lowered = {name.lower(): value for name, value in headers.items()}
    kept = {name: lowered[name] for name in RECORDED_HEADERS if name in lowered}
    kept.update({name: value for name, value in lowered.items() if name.startswith("x-amzn-")})
    if "x-amz-security-token" in lowered:
        kept["x-amz-security-token"] = "(present)"  # a credential: presence only
    return kept


def request_view(call: Call, cap: int) -> dict[str, object]:
    """The decoded request body, or a preview of a body that did not parse."""
    if call.parsed_body is not None:
        images = accepted_images(call.request) if call.request is not None else {}
        return {"bytes": len(call.body or b""), "json": bounded(call.parsed_body, cap, images=images)}
    body = call.body or b""
    return {"bytes": len(body), "preview": body[:PREVIEW_CHARS].decode("utf-8", "replace")}


def validation_view(call: Call) -> dict[str, object]:
    """The validator's verdict: first error, every violation, warnings."""
    report = call.report
    errors = report.errors if report is not None else ()
    return {
        "error": _error_view(report.error) if report is not None and report.error is not None else None,
        "errors": [
            {"stage": e.stage, "pointer": e.pointer, "keyword": e.keyword, "detail": e.detail}
            for e in errors[:MAX_ERRORS]
        ],
        "errors_total": len(errors),
        "warnings": [{"code": w.code, "pointer": w.pointer, "message": w.message} for w in call.warnings],
    }


def _error_view(error: object) -> dict[str, object]:
    return {
        "exception": getattr(error, "exception", None),
        "status": getattr(error, "status", None),
        "message": bounded_message(getattr(error, "message", None)),
    }


def bounded_message(text: str | None) -> str | None:
    """A message as sent, or its first `MAX_MESSAGE_CHARS` characters and how long it was."""
    if text is None or len(text) <= MAX_MESSAGE_CHARS:
        return text
    return f"{text[:MAX_MESSAGE_CHARS]}... ({len(text)} characters)"


class ResponseSummaries:
    """The `image_data`/`mask_image` part of a 200 response's journal view.

    The pipeline hands over the body it produced with the span of each base64 image (`Call.success`), so
    nothing is re-parsed. The sha256 and thumbnail of each image are made once per body and remembered while
    the body is alive: the response cache hands out the same `SuccessBody` object for repeated requests, so a
    cached response is hashed and thumbnailed once, not once per request. The memory is weak-keyed, so it
    holds a few small strings per live body (about 10 KB per image) and nothing once the cache has dropped
    it.
    """

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._lock = threading.Lock()
        self._made: weakref.WeakKeyDictionary[SuccessBody, tuple[tuple[str, str | None], ...]] = (
            weakref.WeakKeyDictionary()
        )

    def summary(self, success: SuccessBody) -> dict[str, object]:
        """`{"image_data": [refs], "mask_image": ref?}` for a body the pipeline produced."""
        views = success.image_views()
        mask = success.mask_view()
        if mask is not None:
            views.append(mask)
        with self._lock:
            made = self._made.get(success)
        if made is None:
            # The pipeline's small copies of the pixels when it gave them; else (a body built elsewhere)
            # the PNG is decoded, which costs about as much as generating it.
            previews = success.previews if len(success.previews) == len(views) else None
            made = tuple(
                (
                    hashlib.sha256(view).hexdigest(),
                    thumbnail_of_pixels(previews[n]) if previews is not None else thumbnail_of_png(view),
                )
                for n, view in enumerate(views)
            )
            with self._lock:
                self._made[success] = made
        refs = [
            _span_ref(view, self._cap, digest, thumbnail)
            for view, (digest, thumbnail) in zip(views, made, strict=True)
        ]
        out: dict[str, object] = {"image_data": refs[: len(success.images)]}
        if mask is not None:
            out["mask_image"] = refs[-1]
        return out

    def parse(self, body: bytes) -> dict[str, object]:
        """The same summary for a 200 body the pipeline did not describe (parsed; not on the invoke path)."""
        try:
            data = json.loads(body)
        except ValueError:
            return {"image_data": []}
        images = data.get("images", []) if isinstance(data, dict) else []
        out: dict[str, object] = {
            "image_data": [_own_image_ref(i, self._cap) for i in images if isinstance(i, str)]
        }
        if isinstance(data, dict) and isinstance(data.get("maskImage"), str):
            out["mask_image"] = _own_image_ref(data["maskImage"], self._cap)
        return out


def _own_image_ref(value: str, cap: int) -> dict[str, object]:
    return image_ref(value, cap, thumbnail=thumbnail_of_png(memoryview(value.encode("ascii", "replace"))))


def response_view(call: Call, response: Response, summaries: ResponseSummaries) -> dict[str, object]:
    """Status, error type and message, image counts, and the returned images under the cap."""
    error_type = response.headers.get("x-amzn-ErrorType", "").split(":", 1)[0] or None
    view: dict[str, object] = {"status": response.status_code, "error_type": error_type}
    if response.status_code == 200 and not response.is_streamed:
        view["images"] = call.images_returned
        view["blocked"] = call.images_blocked
        if isinstance(call.request, StabilityRequest):
            view["stability"] = stability_view(call.request, call.success)
        elif call.images_blocked:
            view["error"] = (
                messages.SOME_IMAGES_BLOCKED if call.images_returned else messages.ALL_IMAGES_BLOCKED
            )
        success = call.success
        view.update(
            summaries.summary(success) if success is not None else summaries.parse(response.get_data())
        )
    elif call.error is not None:
        view["message"] = bounded_message(call.error.message)
    elif not response.is_streamed and response.content_length is not None and response.content_length < 4096:
        view["message"] = _message_of(response.get_data())
    return view


def stability_view(request: StabilityRequest, success: SuccessBody | None) -> dict[str, object]:
    """A Stability call's facts (docs/CONTRACT.md §S3): the seed used (and sent), the finish reason as
    answered (`null`: a V2 image; SDXL's `finishReason`), and the output format and size."""
    size = request.output_size
    return {
        "family": STABILITY_MODELS[request.model].family.value,
        "operation": request.operation.value,
        "seeds": [request.seed],
        "seed_sent": request.seed_sent,
        "finish_reason": success.finish_reason if success is not None else None,
        "output_format": request.output_format.value,
        "output_size": f"{size.width}x{size.height}",
    }


def _message_of(body: bytes) -> str | None:
    try:
        data = json.loads(body)
    except ValueError:
        return None
    return data.get("message") if isinstance(data, dict) and isinstance(data.get("message"), str) else None


def build_entry(
    call: Call, response: Response, summaries: ResponseSummaries, cap: int, latency_ms: int
) -> tuple[dict[str, object], dict[str, object]]:
    """The indexed columns and the full entry of one call."""
    view = response_view(call, response, summaries)
    task = call.task
    model = call.model.value if call.model is not None else None
    entry: dict[str, object] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": call.request_id,
        "method": call.method,
        "path": call.raw_path,
        "operation": call.operation,
        "raw_model_id": call.raw_model_id,
        "model": model,
        "task": task,
        "status": response.status_code,
        "latency_ms": latency_ms,
        "invocation_id": call.invocation_id,
        "attempt": call.attempt,
        "auth": call.auth,
        "headers": recorded_headers(call.headers),
        "request": request_view(call, cap),
        "validation": validation_view(call),
        "response": view,
        "cache_hit": call.cache_hit,
        "rules": call.rules_fired,
        "fault": call.fault,
        "worker_pid": os.getpid(),  # which server process answered (several with --workers)
    }
    entry = fit_entry(entry)
    columns = {
        "model": model,
        "task": task,
        "status": response.status_code,
        "operation": call.operation,
        "invocation_id": call.invocation_id,
        "error_type": view["error_type"],
    }
    return columns, entry


def fit_entry(entry: dict[str, object]) -> dict[str, object]:
    """`entry`, or a smaller copy within `ENTRY_MAX_BYTES`: whole images go first, then the request body's
    JSON, then the thumbnails; what was dropped is named under `"trimmed"`."""
    steps = (
        ("images", _drop_whole_images),
        ("request", _drop_request_json),
        ("thumbnails", _drop_thumbnails),
    )
    trimmed: list[str] = []
    for name, step in steps:
        if _size(entry) <= ENTRY_MAX_BYTES:
            break
        entry = step(entry)
        trimmed.append(name)
    if trimmed:
        entry["trimmed"] = trimmed
    return entry


def _size(entry: object) -> int:
    return len(json.dumps(entry, separators=(",", ":"), default=str).encode())


def _map_refs(value: object, change: dict[str, object] | None, drop: str) -> object:
    """A copy with key `drop` removed from every `$image` reference (and `change` merged in)."""
    if isinstance(value, Mapping):
        ref = value.get("$image")
        if isinstance(ref, Mapping):
            kept = {k: v for k, v in ref.items() if k != drop}
            if drop in ref and change:
                kept.update(change)
            return {"$image": kept}
        return {k: _map_refs(v, change, drop) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_refs(v, change, drop) for v in value]
    return value


def _drop_whole_images(entry: dict[str, object]) -> dict[str, object]:
    result = _map_refs(entry, {"elided": True}, "base64")
    assert isinstance(result, dict)
    return result


def _drop_thumbnails(entry: dict[str, object]) -> dict[str, object]:
    result = _map_refs(entry, None, "thumbnail")
    assert isinstance(result, dict)
    return result


def _drop_request_json(entry: dict[str, object]) -> dict[str, object]:
    request = entry.get("request")
    if isinstance(request, Mapping) and "json" in request:
        entry = {
            **entry,
            "request": {"bytes": request.get("bytes"), "json": {MORE: "over the entry's size cap"}},
        }
    validation = entry.get("validation")
    if isinstance(validation, Mapping):
        entry = {**entry, "validation": {**validation, "errors": list(validation.get("errors") or [])[:10]}}
    return entry
