"""Offline emulator of Amazon Bedrock's image-generation InvokeModel API.

The package exports only `create_app` and `EmulatorConfig`. They are imported lazily, so that importing a
subpackage (`emulator.generators`, `emulator.testdouble`) does not pull in Flask and the whole pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from emulator.app import create_app
    from emulator.config import EmulatorConfig

__all__ = ["EmulatorConfig", "create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from emulator.app import create_app

        return create_app
    if name == "EmulatorConfig":
        from emulator.config import EmulatorConfig

        return EmulatorConfig
    raise AttributeError(f"module 'emulator' has no attribute {name!r}")
