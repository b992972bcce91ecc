"""The production server: Granian serving the Flask app over HTTP/1.1 and h2c on one port (CONTRACT.md §2.1).

`--http auto` lets Granian take HTTP/1.1 and HTTP/2 with prior knowledge on the same socket; the JS SDK v3
needs the latter, and Granian delivers bodies larger than one HTTP/2 flow-control window whole to a client
that closes its session early (issue 3; Hypercorn 0.18 did not). Each worker process builds its own app with
`create_app(config)`: the frozen config travels to the workers inside the app loader (inherited on fork,
pickled on spawn), so workers never re-read the environment.
"""

from __future__ import annotations

import copy
import http.client
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from granian.constants import HTTPModes, Interfaces
from granian.log import LOGGING_CONFIG
from granian.server import Server

from emulator.app import create_app
from emulator.config import EmulatorConfig

APP_TARGET = "emulator.app:create_app"
LOGGER_NAME = "nova_canvas_emulator"
READY_TIMEOUT_S = 60.0
_LOOPBACK = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}  # wildcard binds are probed on loopback


@dataclass(frozen=True)
class AppLoader:
    """Called by Granian in each worker process: the app built by the factory from the parent's config."""

    config: EmulatorConfig

    def __call__(self, target: str = APP_TARGET) -> Callable[..., Any]:
        return create_app(self.config).wsgi_app


def logging_config() -> dict[str, Any]:
    """Granian's logging setup plus the emulator's logger (request lines), all on stdout."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"][LOGGER_NAME] = {"handlers": ["access"], "level": "INFO", "propagate": False}
    return config


class EmulatorServer(Server):  # type: ignore[misc, valid-type]
    """Granian's server, announcing readiness from a thread started only once every worker is forked.

    A thread running while the parent forks can leave a lock (an import lock, the stdout buffer) held forever
    in the child, so the readiness probe must not start before the workers exist.
    """

    def __init__(self, config: EmulatorConfig, **options: Any) -> None:
        super().__init__(APP_TARGET, **options)
        self.emulator_config = config

    def _spawn_workers(self, spawn_target: Any, target_loader: Any) -> None:
        super()._spawn_workers(spawn_target, target_loader)
        threading.Thread(target=announce_when_ready, args=(self.emulator_config,), daemon=True).start()


def build_server(config: EmulatorConfig) -> EmulatorServer:
    """A Granian server for `config` (WSGI interface, HTTP auto = HTTP/1.1 + h2c prior knowledge)."""
    return EmulatorServer(
        config,
        address=config.host,
        port=config.port,
        interface=Interfaces.WSGI,
        http=HTTPModes.auto,
        workers=config.workers,
        websockets=False,
        log_dictconfig=logging_config(),
        log_access=False,  # the app logs its own line per request, with the Bedrock error type and request id
        # A worker that dies (the OOM killer, a native crash) is replaced, not the end of the whole server;
        # Granian still exits on a crash loop (the same worker dying again within seconds of its respawn).
        respawn_failed_workers=True,
    )


def serve(config: EmulatorConfig) -> int:
    """Run until SIGTERM/SIGINT; print the ready line once the app answers. Returns the exit status.

    The test double's state directory, when `TestDoubleConfig.from_mapping` chose a temporary one, is removed
    once the server (every worker) has stopped: otherwise each start leaves a directory in /tmp.
    """
    if port_in_use(config.host, config.port):
        print(f"nova-canvas-emulator: {base_url(config)} is already in use", file=sys.stderr, flush=True)
        return 2
    try:
        build_server(config).serve(target_loader=AppLoader(config))
    finally:
        config.testdouble.remove_owned_state()
    return 0


def port_in_use(host: str, port: int) -> bool:
    """True when something listens on host:port already.

    Granian binds with SO_REUSEPORT, so a second emulator on a busy port would start and silently share the
    port (the kernel splitting connections between them); a plain bind detects the listener first.
    """
    if port == 0:
        return False
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are not a listener
        try:
            probe.bind((host, port))
        except OSError:
            return True
    return False


def announce_when_ready(config: EmulatorConfig, timeout: float = READY_TIMEOUT_S) -> bool:
    """Poll `/_emulator/health` until a worker answers, then print the ready line: clients may connect."""
    probe_host = _LOOPBACK.get(config.host, config.host)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _healthy(probe_host, config.port):
            print(f"nova-canvas-emulator ready on {base_url(config)}", flush=True)
            return True
        time.sleep(0.05)
    print(f"nova-canvas-emulator: not ready after {timeout:.0f}s", file=sys.stderr, flush=True)
    return False


def base_url(config: EmulatorConfig) -> str:
    """The URL clients use (`endpoint_url`)."""
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{config.port}"


def _healthy(host: str, port: int) -> bool:
    conn = http.client.HTTPConnection(host, port, timeout=2)
    try:
        conn.request("GET", "/_emulator/health")
        return conn.getresponse().status == 200
    except OSError:
        return False
    finally:
        conn.close()
