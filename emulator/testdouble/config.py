"""The test double's settings: defined with every other setting in `emulator.config` (one table, one parser
per value type); this module keeps the import path the test double's modules use."""

from __future__ import annotations

from emulator.config import MEMORY, STATE_DIR_PREFIX, STATE_FILE, TestDoubleConfig

__all__ = ["MEMORY", "STATE_DIR_PREFIX", "STATE_FILE", "TestDoubleConfig"]
