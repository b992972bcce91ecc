"""Test-double features: journal, fault and latency rules, content filters, lifecycle, control API.

`install(app, config)` opens the shared state store (`store.Store`), registers the control API under
`/_emulator/` unless it is switched off, and returns the hooks the invoke pipeline calls (`testdouble_hooks`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from emulator import ui
from emulator.hooks import Hooks
from emulator.testdouble import api, guard
from emulator.testdouble.journal_reader import StoreReader
from emulator.testdouble.store import Store
from emulator.testdouble.testdouble_hooks import TestDoubleHooks

if TYPE_CHECKING:
    from emulator.config import EmulatorConfig


def install(app: Flask, config: EmulatorConfig) -> Hooks:
    """Register the control API on `app` and return the hooks the invoke pipeline calls."""
    settings = config.testdouble
    store = Store(settings)
    app.extensions[api.EXTENSION] = {"store": store, "config": settings}
    if settings.control_api:
        guard.install(app, config.host, settings.allowed_hosts)
        app.register_blueprint(api.bp)
        ui.install(app, StoreReader(store), token=settings.control_token)  # the journal page, same token
    return TestDoubleHooks(store, settings, journal=settings.control_api)
