"""The journal page at `/_emulator/ui` (issue 6): a live, filterable list of journaled calls with thumbnails.

`install(app, reader, ...)` registers the blueprint and its per-app state; the test double calls it when the
control API is enabled, so the page is unavailable whenever the control API is switched off. No build step:
the page is plain HTML, CSS and JS in `static/`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from flask import Flask

from emulator.cache import LRUCache
from emulator.ui.source import Filters, JournalReader, Page, Record
from emulator.ui.views import THUMB_CACHE_BYTES, THUMB_CACHE_ENTRIES, UI_KEY, UiState, bp

__all__ = ["Filters", "JournalReader", "Page", "Record", "bp", "install"]


def _open(headers: Mapping[str, str]) -> bool:
    return True


def install(
    app: Flask,
    reader: JournalReader,
    *,
    authorized: Callable[[Mapping[str, str]], bool] = _open,
    token_header: str = "Authorization",
    token_scheme: str = "Bearer ",
) -> None:
    """Serve the page on `app`, reading `reader`; `authorized` gets lowercased request headers."""
    app.extensions[UI_KEY] = UiState(
        reader=reader,
        authorized=authorized,
        token_header=token_header,
        token_scheme=token_scheme,
        thumbs=LRUCache(THUMB_CACHE_ENTRIES, THUMB_CACHE_BYTES, len),
    )
    app.register_blueprint(bp)
