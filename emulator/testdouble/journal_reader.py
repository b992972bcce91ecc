"""The test double's SQLite journal (`emulator.testdouble.store.Store`) seen as the journal page's
`emulator.ui.JournalReader`.

A journal entry keeps the decoded request (`request.json`, images as `{"$image": ...}` references) and a
summary of the response (`response.image_data`, `response.mask_image`, `response.message`, and for a
Stability model `response.stability`). The page shows the response the client received, so the adapter
rebuilds its Bedrock shape: `{"images": [...], "maskImage": ..., "error": ...}` for a 200 (a Stability V2
model's `{"seeds", "finish_reasons", "images"}`, SDXL's `{"result", "artifacts"}`) and `{"message": ...}` for
an error.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from emulator.testdouble.store import JournalPage, JournalQuery
from emulator.ui.source import JournalFilters, Page, Record

MAX_ID_DIGITS = 19  # journal ids are SQLite integers, below 2**63; the store answers None beyond that


class JournalStore(Protocol):
    """The two journal reads of `emulator.testdouble.store.Store` the page uses."""

    def journal(self, query: JournalQuery) -> JournalPage: ...

    def journal_entry(self, entry_id: int) -> dict[str, object] | None: ...


@dataclass(frozen=True)
class StoreReader:
    """`JournalReader` over the test double's store: server-side filtering and paging, newest first."""

    store: JournalStore

    def page(self, filters: JournalFilters, limit: int, offset: int) -> Page:
        """One page, newest first."""
        result = self.store.journal(
            JournalQuery(_store_filters(filters), limit=limit, offset=offset, descending=True)
        )
        return Page(tuple(to_record(e) for e in result.entries), result.total)

    def get(self, entry_id: str) -> Record | None:
        """One entry by its numeric id (ASCII digits: `isdigit()` also takes '³', which int() refuses)."""
        if not (entry_id.isascii() and entry_id.isdecimal()) or len(entry_id) > MAX_ID_DIGITS:
            return None
        entry = self.store.journal_entry(int(entry_id))
        return to_record(entry) if entry is not None else None

    def version(self, filters: JournalFilters) -> str:
        """How many entries match and the newest one's id and request id (changes on every insert/reset)."""
        newest = self.store.journal(JournalQuery(_store_filters(filters), limit=1, descending=True))
        head = newest.entries[0] if newest.entries else {}
        return f"{newest.total}:{head.get('id')}:{head.get('request_id')}"


def _store_filters(filters: JournalFilters) -> dict[str, object]:
    wanted: dict[str, object] = {"model": filters.model, "task": filters.task, "status": filters.status}
    return {name: value for name, value in wanted.items() if value is not None}


def to_record(entry: Mapping[str, Any]) -> Record:
    """A journal entry as the page's `Record`."""
    request = _mapping(entry.get("request"))
    response = _mapping(entry.get("response"))
    validation = _mapping(entry.get("validation"))
    return Record(
        id=str(entry.get("id")),
        time=_epoch(entry.get("time")),
        status=int(entry.get("status") or response.get("status") or 0),
        model=entry.get("model"),
        raw_model_id=entry.get("raw_model_id"),
        task=entry.get("task"),
        operation=entry.get("operation"),
        request_id=entry.get("request_id"),
        latency_ms=entry.get("latency_ms"),
        error_type=response.get("error_type"),
        error_message=response.get("message") or response.get("error"),
        errors=tuple(_contract_error(e) for e in validation.get("errors") or ()),
        warnings=tuple(_warning(w) for w in validation.get("warnings") or ()) + _finish(response),
        request=request.get("json"),
        response=bedrock_response(response),
        facts=facts(entry),
    )


def bedrock_response(view: Mapping[str, Any]) -> dict[str, object]:
    """The body the client received, rebuilt from the journal's response summary (images as references)."""
    if view.get("status") != 200:
        return {"message": view.get("message")} if view.get("message") is not None else {}
    if isinstance(view.get("stability"), Mapping):
        return stability_response(view["stability"], list(view.get("image_data") or []))
    body: dict[str, object] = {"images": list(view.get("image_data") or [])}
    if "mask_image" in view:
        body["maskImage"] = view["mask_image"]
    if view.get("error"):
        body["error"] = view["error"]
    return body


def stability_response(facts: Mapping[str, Any], images: list[object]) -> dict[str, object]:
    """A Stability model's 200 body (docs/CONTRACT.md §S3) from the journal's facts and image references."""
    reason, seeds = facts.get("finish_reason"), facts.get("seeds") or []
    if facts.get("family") == "v1":
        artifact = {
            "seed": seeds[0] if seeds else None,
            "base64": images[0] if images else "",
            "finishReason": reason,
        }
        return {"result": "success", "artifacts": [artifact]}
    if reason is not None:
        return {"finish_reasons": [reason]}
    return {"seeds": list(seeds), "finish_reasons": [None], "images": images}


def facts(entry: Mapping[str, Any]) -> dict[str, str]:
    """Extra lines for the detail view: attempt, auth, cache, rules fired, headers, body size."""
    request = _mapping(entry.get("request"))
    response = _mapping(entry.get("response"))
    found = {
        "Invocation id": entry.get("invocation_id"),
        "Attempt": entry.get("attempt"),
        "Auth": _compact(entry.get("auth")),
        "Body bytes": request.get("bytes"),
        "Body preview": request.get("preview"),
        "Images returned": response.get("images"),
        "Images blocked": response.get("blocked") or None,
        **stability_facts(response.get("stability")),
        "Response cache hit": entry.get("cache_hit") or None,
        "Rules fired": _compact(entry.get("rules")) if entry.get("rules") else None,
        "Fault": _compact(entry.get("fault")),
        "Headers": "\n".join(f"{k}: {v}" for k, v in _mapping(entry.get("headers")).items()) or None,
    }
    return {name: str(value) for name, value in found.items() if value is not None}


def _finish(response: Mapping[str, Any]) -> tuple[str, ...]:
    """A Stability 200 without its picture, or with a filtered one, says so on the row (docs/CONTRACT.md
    §S3)."""
    facts = _mapping(response.get("stability"))
    reason = facts.get("finish_reason")
    return (f"finish reason: {reason}",) if reason not in (None, "SUCCESS") else ()


def stability_facts(value: object) -> dict[str, object]:
    """A Stability call's lines: operation, seed, finish reason, output format and size."""
    if not isinstance(value, Mapping):
        return {}
    seeds = value.get("seeds") or []
    sent = value.get("seed_sent")
    seed = f"{seeds[0]} (sent {sent})" if seeds and sent != seeds[0] else (seeds[0] if seeds else None)
    return {
        "Operation (Stability)": value.get("operation"),
        "Seed": seed,
        "Finish reason": value.get("finish_reason")
        or ("null (success)" if value.get("family") == "v2" else None),
        "Output": f"{value.get('output_format')}, {value.get('output_size')}",
    }


def _contract_error(error: object) -> str:
    """`#/pointer: detail`, the form Bedrock's messages use."""
    if not isinstance(error, Mapping):
        return str(error)
    pointer, detail = error.get("pointer") or "", error.get("detail") or error.get("keyword") or ""
    return f"{pointer}: {detail}" if pointer else str(detail)


def _warning(warning: object) -> str:
    if not isinstance(warning, Mapping):
        return str(warning)
    return (
        f"{warning.get('code')}: {warning.get('message')}"
        if warning.get("code")
        else str(warning.get("message"))
    )


def _epoch(value: object) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return 0.0


def _compact(value: object) -> str | None:
    return None if value is None else json.dumps(value, separators=(", ", ": "), default=str)


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}
