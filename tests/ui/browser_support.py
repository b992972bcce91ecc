"""Chromium for the browser test; the REAL server comes from `tests/server_process.py`, as in every suite."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.server_process import missing_tool

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def chromium_path() -> str:
    """Debian's Chromium (installed by `.ci/run`); `missing_tool` decides what its absence means."""
    found = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
    if found is None:
        missing_tool("chromium (apt-get install chromium)")
    return str(found)
