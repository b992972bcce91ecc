"""The journal page's blueprint: the page itself, its JSON API and thumbnails, all under `/_emulator/ui`.

The page (HTML, JS, CSS) is public static content; every data endpoint asks the control API's token check
first, so the page works when the control API needs a token and shows nothing without one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from flask import Blueprint, Response, abort, current_app, request
from PIL import Image

from emulator.cache import LRUCache
from emulator.ui import present, thumbs
from emulator.ui.images import Kind, all_slots
from emulator.ui.source import JournalFilters, JournalReader, Record
from validator.stability.models import Operation, StabilityModel
from validator.types import ModelId, TaskType

UI_KEY = "nova_canvas_ui"
NEEDS_TOKEN = "The control API needs a token: send Authorization: Bearer <token> (the page takes ?token=...)"
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
THUMB_CACHE_ENTRIES = 2048
THUMB_CACHE_BYTES = 32 * 1024 * 1024
STATUS_CHOICES = (200, 400, 403, 404, 408, 424, 429, 500, 503)  # docs/CONTRACT.md §2.9

STATIC_DIR = Path(__file__).parent / "static"
# Everything comes from the emulator itself; thumbnails are blob: URLs made from authorised fetches.
PAGE_CSP = (
    "default-src 'self'; img-src 'self' blob: data:; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)

bp = Blueprint("journal_ui", __name__, url_prefix="/_emulator/ui", static_folder=STATIC_DIR)


@dataclass(frozen=True)
class UiState:
    """Per-app state of the page (in `app.extensions`): the journal, the token check and a thumbnail cache."""

    reader: JournalReader
    authorized: Callable[[Mapping[str, str]], bool]
    thumbs: LRUCache[bytes]


def ui_state() -> UiState:
    """The current app's page state."""
    st: UiState = current_app.extensions[UI_KEY]
    return st


@bp.before_request
def check_token() -> Response | None:
    """Data endpoints need the control API's token (when it has one); the page shell and its assets do not."""
    if request.endpoint in ("journal_ui.page", "journal_ui.static"):
        return None
    if ui_state().authorized({k.lower(): v for k, v in request.headers.items()}):
        return None
    return _json({"message": NEEDS_TOKEN}, 401)


@bp.get("", strict_slashes=False)
def page() -> Response:
    """The page shell; it fetches everything else itself."""
    response = Response(STATIC_DIR.joinpath("index.html").read_bytes(), mimetype="text/html")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = PAGE_CSP
    return response


@bp.get("/api/meta")
def meta() -> Response:
    """Filter choices and how to send the token."""
    return _json(
        {
            "models": [m.value for m in (*ModelId, *StabilityModel)],
            "tasks": [t.value for t in TaskType] + [o.value for o in Operation],
            "statuses": list(STATUS_CHOICES),
            "page_size_max": MAX_LIMIT,
        }
    )


@bp.get("/api/entries")
def entries() -> Response:
    """One page of rows, newest first; answers 304 to `If-None-Match` while nothing matching changed."""
    filters, limit, offset = _filters(), _int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT), _int_arg("offset", 0)
    reader = ui_state().reader
    etag = _digest(reader.version(filters), filters, limit, offset)
    if etag in request.if_none_match:
        return _not_modified(etag)
    result = reader.page(filters, limit, offset)
    body = {
        "total": result.total,
        "offset": offset,
        "limit": limit,
        "entries": [present.summary(r) for r in result.records],
    }
    response = _json(body)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/api/entries/<entry_id>")
def entry(entry_id: str) -> Response:
    """One call in full: request and response JSON with images elided."""
    record = _record(entry_id)
    etag = present.record_key(record)
    if etag in request.if_none_match:
        return _not_modified(etag)
    response = _json(present.detail(record))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/thumb/<entry_id>/<kind>/<int:n>.png")
def thumbnail(entry_id: str, kind: str, n: int) -> Response:
    """A small PNG of one image (a mask over its image); immutable: the URL names the record's content."""
    if kind not in {k.value for k in Kind}:
        _not_found(f"no thumbnail kind {kind!r} (input, mask or output)")
    record = _record(entry_id)
    key = present.record_key(record)
    etag = f"{key}-{kind}-{n}"
    if etag in request.if_none_match:
        return _not_modified(etag)
    cache = ui_state().thumbs
    png = cache.get(etag)
    if png is None:
        png = _render_thumbnail(record, Kind(kind), n)
        cache.put(etag, png)
    response = Response(png, mimetype="image/png")
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    return response


def _render_thumbnail(record: Record, kind: Kind, n: int) -> bytes:
    slots = all_slots(record.request, record.response)[kind]
    if not 0 <= n < len(slots):
        _not_found(f"entry {record.id} has no {kind.value} image {n}")
    slot = slots[n]
    try:
        image = thumbs.decode_image(present.slot_value(record, slot))
        if slot.kind is not Kind.MASK:
            return thumbs.image_thumbnail(image)
        base = _maybe_image(present.value_at(record, slot.base)) if slot.base else None
        return thumbs.mask_thumbnail(image, base, slot.edited_is_white)
    except thumbs.ThumbnailError as exc:
        _not_found(f"{slot.label} of entry {record.id} was not kept ({exc})")


def _maybe_image(value: object) -> Image.Image | None:
    try:
        return thumbs.decode_image(value)
    except thumbs.ThumbnailError:
        return None


def _record(entry_id: str) -> Record:
    record = ui_state().reader.get(entry_id)
    if record is None:
        _not_found(f"no journal entry {entry_id!r}")
    return record


def _not_found(message: str) -> NoReturn:
    """404 with a JSON `{"message": ...}` body, like the rest of the control API."""
    abort(_json({"message": message}, 404))


def _filters() -> JournalFilters:
    status = request.args.get("status") or None
    if status is not None and not (status.isascii() and status.isdecimal() and len(status) == 3):
        abort(_json({"message": f"status must be an HTTP status code, not {status!r}"}, 400))
    model, task = request.args.get("model") or None, request.args.get("task") or None
    return JournalFilters(status=int(status) if status else None, model=model, task=task)


def _int_arg(name: str, default: int, minimum: int = 0, maximum: int | None = None) -> int:
    raw = request.args.get(name)
    try:
        value = default if raw in (None, "") else int(raw)
    except ValueError:
        abort(_json({"message": f"{name} must be an integer"}, 400))
    return max(minimum, value if maximum is None else min(value, maximum))


def _digest(*parts: object) -> str:
    return hashlib.blake2b(repr(parts).encode(), digest_size=10).hexdigest()


def _json(body: object, status: int = 200) -> Response:
    return Response(json.dumps(body, separators=(",", ":")), status=status, mimetype="application/json")


def _not_modified(etag: str) -> Response:
    response = Response(status=304)
    response.set_etag(etag)
    return response
