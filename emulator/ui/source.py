"""What the journal page reads: a small protocol over the request journal, and the record shape it returns.

`JournalReader` is the page's only view of the journal. `emulator.testdouble.journal_reader` adapts the test
double's store to it; unit tests can pass any object with these methods.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class JournalFilters:
    """The page's filters, each an exact match: HTTP status, canonical model id, task type."""

    status: int | None = None
    model: str | None = None
    task: str | None = None


@dataclass(frozen=True)
class Record:
    """One journaled call, as the page shows it. `request`/`response` are decoded JSON (images capped)."""

    id: str
    time: float  # seconds since the epoch
    status: int
    model: str | None = None
    raw_model_id: str | None = None
    task: str | None = None
    operation: str | None = None
    request_id: str | None = None
    latency_ms: float | None = None
    error_type: str | None = None
    error_message: str | None = None
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    request: object = None
    response: object = None
    facts: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Page:
    """One page of records, newest first, and how many match the filters in all."""

    records: tuple[Record, ...]
    total: int


class JournalReader(Protocol):
    """Read access to the journal (thread-safe; called from request handlers)."""

    def page(self, filters: JournalFilters, limit: int, offset: int) -> Page:
        """Records matching `filters`, newest first, `limit` of them after skipping `offset`."""
        ...

    def get(self, entry_id: str) -> Record | None:
        """One record, or None when it does not exist (or was cleared)."""
        ...

    def version(self, filters: JournalFilters) -> str:
        """A cheap marker that changes whenever the records matching `filters` change (for ETags)."""
        ...
