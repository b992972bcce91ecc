"""The journal page at `/_emulator/ui`: a live, filterable list of journaled calls with thumbnails.

`install(app, reader, token=...)` registers the blueprint over any `JournalReader` (the test double passes an
adapter over its journal store, `emulator.testdouble.journal_reader`). The test double installs the page only
when the control API is enabled, so the page is unavailable whenever the control API is switched off, and its
data endpoints ask for the same bearer token as the control API. This package imports nothing from the test
double. No build step: the page is plain HTML, CSS and JS in `static/`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from flask import Flask

from emulator.cache import LRUCache
from emulator.ui.source import JournalFilters, JournalReader, Page, Record
from emulator.ui.views import THUMB_CACHE_BYTES, THUMB_CACHE_ENTRIES, UI_KEY, UiState, bp

__all__ = ["JournalFilters", "JournalReader", "Page", "Record", "bearer_check", "bp", "install"]


def _open(headers: Mapping[str, str]) -> bool:
    return True


def bearer_check(token: str | None) -> Callable[[Mapping[str, str]], bool]:
    """The control API's rule: with a token set, `Authorization: Bearer <token>` (constant-time compare)."""
    if token is None:
        return _open
    expected = token.encode()

    def authorized(headers: Mapping[str, str]) -> bool:
        scheme, _, presented = headers.get("authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(presented.strip().encode(), expected)

    return authorized


def install(app: Flask, reader: JournalReader, *, token: str | None = None) -> None:
    """Serve the page on `app`, reading `reader`; with `token`, data need `Authorization: Bearer <token>`."""
    app.extensions[UI_KEY] = UiState(
        reader=reader,
        authorized=bearer_check(token),
        thumbs=LRUCache(THUMB_CACHE_ENTRIES, THUMB_CACHE_BYTES, len),
    )
    app.register_blueprint(bp)
