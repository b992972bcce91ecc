"""Settings of the test-double features, read by `emulator.config.EmulatorConfig`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TestDoubleConfig:
    """Placeholder until issue 5 lands."""

    __test__ = False  # not a pytest test class

    @classmethod
    def from_mapping(cls, values: Mapping[str, str]) -> TestDoubleConfig:
        """Build from snake_case keys (environment variables without their prefix, lowercased)."""
        return cls()
