"""Records turned into the page's JSON: list rows with thumbnail URLs, and the detail view (images elided)."""

from __future__ import annotations

import hashlib
from typing import Any

from emulator.ui.images import ImageSlot, Kind, Path, all_slots, elide, image_data, lookup
from emulator.ui.source import Record

THUMB_ROUTE = "/_emulator/ui/thumb"


def record_key(record: Record) -> str:
    """A short digest naming this record's content for caches: ids can repeat after the journal is reset."""
    seed = f"{record.id}|{record.time!r}|{record.request_id}|{record.status}"
    return hashlib.blake2b(seed.encode(), digest_size=6).hexdigest()


def value_at(record: Record, path: Path) -> object:
    """The journaled value at a path starting with `request` or `response`."""
    return lookup({"request": record.request, "response": record.response}, path)


def slot_value(record: Record, slot: ImageSlot) -> object:
    """The journaled string of one image slot."""
    return value_at(record, slot.path)


def thumbs(record: Record) -> dict[str, list[dict[str, Any]]]:
    """Per kind, one entry per image: its JSON path and a thumbnail URL, or no URL when it was not kept."""
    key = record_key(record)
    grouped = all_slots(record.request, record.response)
    return {
        kind.value: [_thumb(record, key, kind, n, slot) for n, slot in enumerate(slots)]
        for kind, slots in grouped.items()
    }


def _thumb(record: Record, key: str, kind: Kind, n: int, slot: ImageSlot) -> dict[str, Any]:
    kept = image_data(slot_value(record, slot)) is not None
    url = f"{THUMB_ROUTE}/{record.id}/{kind.value}/{n}.png?v={key}" if kept else None
    return {"label": slot.label.removeprefix("request.").removeprefix("response."), "url": url}


def summary(record: Record) -> dict[str, Any]:
    """One row of the list: everything but the bodies."""
    error = {"type": record.error_type, "message": record.error_message} if record.error_type else None
    return {
        "id": record.id,
        "time": record.time,
        "model": record.model,
        "raw_model_id": record.raw_model_id,
        "task": record.task,
        "operation": record.operation,
        "status": record.status,
        "latency_ms": record.latency_ms,
        "error": error,
        "errors": list(record.errors),
        "warnings": list(record.warnings),
        "thumbs": thumbs(record),
    }


def detail(record: Record) -> dict[str, Any]:
    """The detail view: the row plus request and response JSON with images elided, and extra facts."""
    return {
        **summary(record),
        "request_id": record.request_id,
        "facts": dict(record.facts),
        "request": elide(record.request),
        "response": elide(record.response),
    }
