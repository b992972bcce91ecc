"""Test-double features: journal, fault and latency rules, content filters, lifecycle, control API.

Placeholder until issue 5 lands: `install` registers nothing and returns hooks that change nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from emulator.hooks import Hooks, NoHooks

if TYPE_CHECKING:
    from emulator.config import EmulatorConfig


def install(app: Flask, config: EmulatorConfig) -> Hooks:
    """Register the control API on `app` and return the hooks the invoke pipeline calls."""
    return NoHooks()
