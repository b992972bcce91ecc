"""The emulator's per-app state: configuration, hooks, and the two caches with their sizing. One
`EmulatorState` per app (per worker process), kept in `app.extensions`, never module-level.

Outputs are deterministic (docs/CONTRACT.md §8.2), so a finished response can be reused for an identical raw
request, and a validation report for an identical body. Hooks are never cached: the pipeline calls every
hook on every request, hit or miss, so rules and the journal behave exactly as without the caches.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import metadata

from flask import current_app

from emulator.cache import LRUCache
from emulator.call import SuccessBody
from emulator.config import EmulatorConfig
from emulator.gate import PixelGate
from emulator.hooks import Hooks
from validator.report import RequestReport
from validator.stability.types import StabilityRequest
from validator.types import InputImage

STATE_KEY = "nova_canvas_emulator"

# Finished responses can be megabytes (five 2048x2048 PNGs); both caches are bounded by bytes as well as
# entries (`EmulatorConfig.response_cache_size`).
RESPONSE_CACHE_BYTES = 256 * 1024 * 1024
REPORT_CACHE_BYTES = 64 * 1024 * 1024
# Per cached body beyond its bytes: the SuccessBody and its span tuples, and what a hook remembers per body
# while it is alive (the journal's sha256 digests: one 64-character string per image), with room to spare.
SUCCESS_OVERHEAD_BYTES = 512
SUCCESS_PER_IMAGE_BYTES = 256


@dataclass(frozen=True)
class CachedReport:
    """A valid body's report, and the body's size (what its parsed document roughly weighs)."""

    report: RequestReport
    body_size: int


@dataclass(frozen=True)
class EmulatorState:
    """Per-app state, kept in `app.extensions[STATE_KEY]`."""

    config: EmulatorConfig
    hooks: Hooks
    version: str
    responses: LRUCache[
        SuccessBody
    ]  # keyed by model, body digest, caption setting, blocked indices (all models)
    reports: LRUCache[CachedReport]  # keyed by model and body digest
    generation: PixelGate  # bounds the output pixels being generated at once


def build_state(config: EmulatorConfig, hooks: Hooks) -> EmulatorState:
    """The state of a new app, with empty caches sized from the configuration."""
    return EmulatorState(
        config=config,
        hooks=hooks,
        version=package_version(),
        responses=LRUCache(config.response_cache_size, RESPONSE_CACHE_BYTES, success_size),
        reports=LRUCache(config.response_cache_size, REPORT_CACHE_BYTES, report_size),
        generation=PixelGate(),
    )


def current_state() -> EmulatorState:
    """The current app's emulator state (in a Flask request)."""
    st: EmulatorState = current_app.extensions[STATE_KEY]
    return st


def report_size(cached: CachedReport) -> int:
    """Roughly the memory a cached report holds: decoded input images, plus the parsed document (a few
    times its raw size in Python objects)."""
    base = 1024 + 4 * cached.body_size
    req = cached.report.request
    if req is None:
        return base
    if isinstance(req, StabilityRequest):
        alphas = [image.alpha for image in req.input_images if image.alpha is not None]
        return base + sum(image.pixels.nbytes for image in req.input_images) + sum(a.nbytes for a in alphas)
    values = [getattr(req.params, f.name) for f in dataclasses.fields(req.params)]
    images = [v for v in values if isinstance(v, InputImage)]
    images += [i for v in values if isinstance(v, tuple) for i in v if isinstance(i, InputImage)]
    return base + sum(image.pixels.nbytes for image in images)


def success_size(success: SuccessBody) -> int:
    """The memory a cached response holds: its body, plus a fixed allowance per entry and per image."""
    spans = len(success.images) + (success.mask is not None)
    return len(success.body) + SUCCESS_OVERHEAD_BYTES + SUCCESS_PER_IMAGE_BYTES * spans


def package_version() -> str:
    try:
        return metadata.version("nova-canvas-emulator")
    except metadata.PackageNotFoundError:
        return "0+unknown"
