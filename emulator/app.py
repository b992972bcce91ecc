"""The Flask app factory."""

from __future__ import annotations

import dataclasses
from importlib import metadata

from flask import Flask

from emulator import errors, front, routes, testdouble
from emulator.after_response import AfterResponse
from emulator.cache import LRUCache
from emulator.config import EmulatorConfig
from emulator.hooks import SuccessBody
from emulator.testdouble.config import MEMORY
from validator.types import InputImage

# Finished responses can be megabytes (five 2048x2048 PNGs); bound the cache by bytes as well as entries.
RESPONSE_CACHE_BYTES = 256 * 1024 * 1024
REPORT_CACHE_BYTES = 64 * 1024 * 1024
PENDING_SUFFIX = "-pending"  # the directory of per-worker pending-write counters, next to the state file


def create_app(config: EmulatorConfig | None = None) -> Flask:
    """Build the emulator: Bedrock Runtime in front (`emulator.front`), then Flask with the test double's
    control API, the health check and one error handler."""
    config = config if config is not None else EmulatorConfig()
    app = Flask("emulator", static_folder=None)  # no `/static/<path>`: only §2.2 and `/_emulator/` routes
    app.config["EMULATOR"] = config
    after = AfterResponse(_pending_dir(config))
    hooks = testdouble.install(app, config, after)
    app.extensions[routes.STATE_KEY] = routes.EmulatorState(
        config=config,
        hooks=hooks,
        version=_version(),
        after=after,
        responses=LRUCache(config.response_cache_size, RESPONSE_CACHE_BYTES, _success_size),
        # A report holds the decoded input images; its body length is a fair proxy for its size.
        reports=LRUCache(config.response_cache_size, REPORT_CACHE_BYTES, _report_size),
    )
    app.before_request(front.note_control_start)  # first, so the log line times the whole request
    app.register_blueprint(routes.bp)
    app.after_request(front.close_control_request)
    app.wsgi_app = front.BedrockFront(app.wsgi_app, app.extensions)  # type: ignore[method-assign]
    app.register_error_handler(Exception, errors.handle_error)
    return app


def _pending_dir(config: EmulatorConfig) -> str | None:
    """Where each worker counts its journal writes still to do: next to the shared state file (one process
    only with `:memory:`, so no directory)."""
    state_path = config.testdouble.state_path
    return None if state_path == MEMORY else state_path + PENDING_SUFFIX


def _report_size(cached: routes.CachedReport) -> int:
    """Roughly the memory a cached report holds: decoded input images, plus the parsed body (a few times its
    raw size in Python objects)."""
    base = 1024 + 4 * cached.body_size
    req = cached.report.request
    if req is None:
        return base
    values = [getattr(req.params, f.name) for f in dataclasses.fields(req.params)]
    images = [v for v in values if isinstance(v, InputImage)]
    images += [i for v in values if isinstance(v, tuple) for i in v if isinstance(i, InputImage)]
    return base + sum(image.pixels.nbytes for image in images)


# Per cached body beyond its bytes: the SuccessBody and its span tuples, and what a hook remembers per body
# while it is alive (the journal's sha256 digests: one 64-character string per image), with room to spare.
SUCCESS_OVERHEAD_BYTES = 512
SUCCESS_PER_IMAGE_BYTES = 256


def _success_size(success: SuccessBody) -> int:
    """The memory a cached response holds: its body, plus a fixed allowance per entry and per image."""
    spans = len(success.images) + (success.mask is not None)
    return len(success.body) + SUCCESS_OVERHEAD_BYTES + SUCCESS_PER_IMAGE_BYTES * spans


def _version() -> str:
    try:
        return metadata.version("nova-canvas-emulator")
    except metadata.PackageNotFoundError:
        return "0+unknown"
