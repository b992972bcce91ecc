"""Parsing of setting values shared by every configuration source (environment, file, command line).

Kept apart from `emulator.config` so that `emulator.testdouble.config`, which `emulator.config` imports, can
use the same parser without a circular import.
"""

from __future__ import annotations

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


def parse_bool(value: object) -> bool:
    """The one boolean parser: `1/0`, `true/false`, `yes/no`, `on/off` (any case); anything else fails."""
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"not a boolean: {value!r} (use true/false, 1/0, yes/no or on/off)")
