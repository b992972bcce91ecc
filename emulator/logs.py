"""The emulator's loggers, and the escaping that keeps request text from forging or styling log lines."""

from __future__ import annotations

import logging
import re

logger = logging.getLogger("nova_canvas_emulator")
access_log = logging.getLogger("nova_canvas_emulator.access")

# C0 and C1 controls and DEL (a percent-decoded `%0A` would start a forged line, `%1B` a terminal escape
# sequence), and the quote and backslash that delimit and escape fields of the access-log line.
_UNSAFE = re.compile('[\x00-\x1f\x7f-\x9f"\\\\]')


def printable(text: str) -> str:
    """`text` for a log line: controls as `\\xNN`, `"` as `\\"`, `\\` as `\\\\`; all else as it is."""
    return _UNSAFE.sub(_escape, text)


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    return "\\" + char if char in '"\\' else f"\\x{ord(char):02x}"
