"""The Flask app factory."""

from __future__ import annotations

from flask import Flask

from emulator import errors, front, routes, testdouble
from emulator.config import EmulatorConfig
from emulator.hooks import Hooks, NoHooks
from emulator.state import STATE_KEY, build_state
from emulator.testdouble.config import TestDoubleConfig
from emulator.testdouble.filters import ContentFilters


def create_app(config: EmulatorConfig | None = None) -> Flask:
    """Build the emulator: Bedrock Runtime in front (`emulator.front`), then Flask with the test double's
    control API, the health check and one error handler."""
    config = config if config is not None else EmulatorConfig()
    app = Flask("emulator", static_folder=None)  # no `/static/<path>`: only Bedrock and `/_emulator/` routes
    # `/_emulator//journal` is no route (a JSON 404), never a 308 to a URL built from the Host header.
    app.url_map.merge_slashes = False
    app.config["EMULATOR"] = config
    app.before_request(front.note_control_start)  # first, so the log line times the whole request
    hooks: Hooks = NoHooks()
    if needs_test_double(config.testdouble):
        hooks = testdouble.install(app, config)
    app.extensions[STATE_KEY] = build_state(config, hooks)
    app.register_blueprint(routes.bp)
    app.after_request(front.close_control_request)
    app.wsgi_app = front.BedrockFront(app.wsgi_app, app.extensions)  # type: ignore[method-assign]
    app.register_error_handler(Exception, errors.handle_error)
    return app


def needs_test_double(settings: TestDoubleConfig) -> bool:
    """Whether the test double has anything to do: its control API is on, or its start state sets rules,
    content filters or a model lifecycle. Otherwise the pipeline runs no hooks and keeps no journal."""
    configured = bool(settings.rules or settings.lifecycle) or settings.filters != ContentFilters()
    return settings.control_api or configured
