"""Journal entries: what one Bedrock call looked like, built from the pipeline's `Call` and the response.

Images are kept in a bounded way: a base64 image string of at most `journal_image_cap` bytes is kept whole
(so a page can show a thumbnail); a larger one becomes `{"$image": {"sha256": ..., "length": n,
"elided": true}}`. Kept images are `{"$image": {"sha256": ..., "length": n, "base64": ...}}`. Any other
string longer than the cap becomes `{"$text": {"sha256": ..., "length": n, "preview": <first 512>}}`.

Everything else is bounded too, so one call cannot add megabytes to the journal (a 2 MB body of 150,000
extraneous keys used to store ~68 MB: every key, every violation and the 7 MB message twice): objects and
arrays keep their first `MAX_ITEMS` members (the rest counted under `"$more"`), the violation list its first
`MAX_ERRORS`, and messages their first `MAX_MESSAGE_CHARS` characters.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import threading
import weakref
from collections.abc import Mapping
from datetime import UTC, datetime
from decimal import Decimal

from flask import Response

from emulator.call import Call, SuccessBody
from validator import messages

# Body keys whose string values (or list items) are base64 images (CONTRACT.md §3.3, §2.7).
IMAGE_KEYS = frozenset({"image", "images", "maskImage", "conditionImage", "referenceImage", "sourceImage"})
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
MAX_ITEMS = 200  # members kept per object or array of a journaled request body
MAX_ERRORS = 100  # schema violations kept per entry (`errors_total` counts them all)
MAX_MESSAGE_CHARS = 16_384  # Bedrock's messages are short; a schema message lists every violation
MORE = "$more"


def image_ref(value: str, cap: int, sha256: str | None = None) -> dict[str, object]:
    """The bounded journal form of one base64 image string (`sha256`: its digest, when already known)."""
    if sha256 is None:
        sha256 = hashlib.sha256(value.encode("ascii", "replace")).hexdigest()
    ref: dict[str, object] = {"sha256": sha256, "length": len(value)}
    if len(value) <= cap:
        ref["base64"] = value
    else:
        ref["elided"] = True
    return {"$image": ref}


def _span_ref(view: memoryview, cap: int, sha256: str) -> dict[str, object]:
    """`image_ref` of a base64 image held as ASCII bytes: the string is only decoded when it is kept."""
    ref: dict[str, object] = {"sha256": sha256, "length": len(view)}
    if len(view) <= cap:
        ref["base64"] = str(view, "ascii")
    else:
        ref["elided"] = True
    return {"$image": ref}


def bounded(value: object, cap: int, key: str | None = None) -> object:
    """A JSON-ready copy of a request body with image strings replaced by `image_ref`."""
    if isinstance(value, Mapping):
        kept = {str(k): bounded(v, cap, str(k)) for k, v in itertools.islice(value.items(), MAX_ITEMS)}
        if len(value) > MAX_ITEMS:
            kept[MORE] = len(value) - MAX_ITEMS
        return kept
    if isinstance(value, list):
        items = [bounded(item, cap, key) for item in value[:MAX_ITEMS]]
        return items + [{MORE: len(value) - MAX_ITEMS}] if len(value) > MAX_ITEMS else items
    if isinstance(value, str) and key in IMAGE_KEYS:
        return image_ref(value, cap)
    if isinstance(value, str) and len(value) > cap:
        # Any other oversized string (a runaway prompt, an image under a misspelt key) stays bounded too.
        digest = hashlib.sha256(value.encode("utf-8", "replace")).hexdigest()
        return {"$text": {"sha256": digest, "length": len(value), "preview": value[:PREVIEW_CHARS]}}
    if isinstance(value, Decimal):
        return float(value)  # JSON cannot carry the written form; the validator's messages already did
    return value


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
        return {"bytes": len(call.body or b""), "json": bounded(call.parsed_body, cap)}
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
    nothing is re-parsed. The sha256 of each image is computed once per body and remembered while the body is
    alive: the response cache hands out the same `SuccessBody` object for repeated requests, so a cached
    response is hashed once, not once per request. The memory is weak-keyed, so it holds one small tuple of
    digests per live body and nothing once the cache has dropped it (the cache's size accounts for it).
    """

    def __init__(self, cap: int) -> None:
        self._cap = cap
        self._lock = threading.Lock()
        self._digests: weakref.WeakKeyDictionary[SuccessBody, tuple[str, ...]] = weakref.WeakKeyDictionary()

    def summary(self, success: SuccessBody) -> dict[str, object]:
        """`{"image_data": [refs], "mask_image": ref?}` for a body the pipeline produced."""
        views = success.image_views()
        mask = success.mask_view()
        if mask is not None:
            views.append(mask)
        with self._lock:
            digests = self._digests.get(success)
        if digests is None:
            digests = tuple(hashlib.sha256(view).hexdigest() for view in views)
            with self._lock:
                self._digests[success] = digests
        refs = [_span_ref(view, self._cap, digest) for view, digest in zip(views, digests, strict=True)]
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
            "image_data": [image_ref(i, self._cap) for i in images if isinstance(i, str)]
        }
        if isinstance(data, dict) and isinstance(data.get("maskImage"), str):
            out["mask_image"] = image_ref(data["maskImage"], self._cap)
        return out


def response_view(call: Call, response: Response, summaries: ResponseSummaries) -> dict[str, object]:
    """Status, error type and message, image counts, and the returned images under the cap."""
    error_type = response.headers.get("x-amzn-ErrorType", "").split(":", 1)[0] or None
    view: dict[str, object] = {"status": response.status_code, "error_type": error_type}
    if response.status_code == 200 and not response.is_streamed:
        view["images"] = call.images_returned
        view["blocked"] = call.images_blocked
        if call.images_blocked:
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
    task = call.task_type.value if call.task_type is not None else None
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
    columns = {
        "model": model,
        "task": task,
        "status": response.status_code,
        "operation": call.operation,
        "invocation_id": call.invocation_id,
        "error_type": view["error_type"],
    }
    return columns, entry
