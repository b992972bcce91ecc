"""The journal page at `/_emulator/ui` (issue 6): a live, filterable list of journaled calls with thumbnails.

`install(app, store, token=...)` registers the blueprint and its per-app state over the test double's journal
store; the test double calls it only when the control API is enabled, so the page is unavailable whenever the
control API is switched off, and its data endpoints ask for the same bearer token as the control API.
`install_reader` takes any `JournalReader` instead. No build step: the page is plain HTML, CSS and JS in
`static/`.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping

from flask import Flask

from emulator.cache import LRUCache
from emulator.ui.journal import JournalStore, StoreReader
from emulator.ui.source import Filters, JournalReader, Page, Record
from emulator.ui.views import THUMB_CACHE_BYTES, THUMB_CACHE_ENTRIES, UI_KEY, UiState, bp

__all__ = ["Filters", "JournalReader", "Page", "Record", "StoreReader", "bp", "install", "install_reader"]


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


def install(app: Flask, store: JournalStore, *, token: str | None = None) -> None:
    """Serve the page over the test double's journal store, behind the control API's token when it has one."""
    install_reader(app, StoreReader(store), authorized=bearer_check(token))


def install_reader(
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
