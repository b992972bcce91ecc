"""The production server: Granian serving the Flask app over HTTP/1.1 and h2c on one port.

`--http auto` lets Granian take HTTP/1.1 and HTTP/2 with prior knowledge on the same socket; the JS SDK v3
needs the latter, and Granian delivers bodies larger than one HTTP/2 flow-control window whole to a client
that closes its session early (Hypercorn 0.18 did not). Each worker process builds its own app with
`create_app(config)`: the frozen config travels to the workers inside the app loader (inherited on fork,
pickled on spawn), so workers never re-read the environment.

Start-up, in order, each failure a one-line message and exit status 2:

1. the listening socket is opened here, not by Granian, so a bind error says what went wrong (address in use,
   an address no interface has, a name that does not resolve) and `port: 0` serves on, and reports, the port
   the system chose; every worker accepts from this one socket;
2. the state file is claimed (a lock next to it: one server per `state_path`) and reset, so every start
   begins from the settings (rules, filters, lifecycle, counters, and an empty journal);
3. the workers start; each reports once its app is built, and the ready line follows the last report.

After that the output is one line per request (the app's own access log); Granian's own lines are logged at
debug level (the `log_level` setting), its warnings and errors always.
"""

from __future__ import annotations

import contextlib
import copy
import ctypes
import errno
import fcntl
import logging
import multiprocessing
import os
import shutil
import signal
import socket
import struct
import sys
import tempfile
import termios
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from granian._granian import SocketHolder
from granian.constants import HTTPModes, Interfaces
from granian.http import HTTP1Settings, HTTP2Settings
from granian.log import LOGGING_CONFIG, LogLevels
from granian.server import Server

from emulator.app import create_app
from emulator.config import MEMORY, STATE_DIR_PREFIX, STATE_FILE, EmulatorConfig, TestDoubleConfig, with_port

APP_TARGET = "emulator.app:create_app"
LOGGER_NAME = "nova_canvas_emulator"
READY_TIMEOUT_S = 60.0
LOCK_SUFFIX = ".lock"
# SQLite's files, and `-changes`, a change-counter file earlier versions kept beside them (still removed).
STATE_FILE_SUFFIXES = ("", "-wal", "-shm", "-journal", "-changes")
SQLITE_HEADER = b"SQLite format 3\x00"

# Connections the kernel queues before a worker accepts them.
BACKLOG = 1024
# Granian's `backpressure` is the number of connections each worker serves at once (a permit is held for the
# life of a connection, idle keep-alive time included): past it, new connections wait in the backlog. The
# reaper below closes connections that hold a permit without using it, so the limit only decides how many
# may be open at once.
BACKPRESSURE = 512
# WSGI calls run on Python threads. Image generation holds the GIL, so more threads than cores do not make it
# faster; the threads serve calls that wait instead: latency and stall rules, and uploads in progress (Granian
# has no body read timeout, so a client that stalls mid-body holds a thread until the reaper's
# UNANSWERED_TIMEOUT_S). 256 per worker lets that many slow or stalled uploads wait while the worker still
# answers others; a waiting thread costs little memory. (Granian's default, backpressure / 2, gave 512 threads
# and a warning at every start; it warns above 2 x cores + 1 threads, and as the count is intentional that
# warning is dropped.)
BLOCKING_THREADS = 256
# A connection must send a complete request head within this time (HTTP/1.1 and the HTTP/2 preface alike):
# idle keep-alive connections and connections that send nothing are closed after it.
HEADER_READ_TIMEOUT_MS = 10_000
# HTTP/2: a ping every 10 s; a client that does not answer within 10 s is disconnected, so an h2c connection
# whose reader is gone (zero windows, nothing read) cannot hold its responses forever.
H2_KEEP_ALIVE_INTERVAL_MS = 10_000
H2_KEEP_ALIVE_TIMEOUT_S = 10

# Granian has no idle-connection timeout before the first byte (in `auto` mode its header timeout starts
# with the request head, so a connection that sends nothing is never closed) and no write timeout (a client
# that never reads keeps its response in the worker's memory). Each worker bounds both itself: a thread reads
# the kernel's TCP state of the worker's connections every REAP_INTERVAL_S and shuts down
# * connections that have sent nothing at all for SILENT_TIMEOUT_S, and
# * connections whose peer has read nothing for WRITE_TIMEOUT_S while data waits to be sent (its receive
#   window stays closed): an unread response is dropped, and its memory freed, after that long, and
# * connections where the client spoke last and nothing has moved either way for UNANSWERED_TIMEOUT_S: an
#   upload stalled mid-body (which holds a worker thread), or a call held that long by a latency or stall
#   rule (twice botocore's default read timeout, so its client has long given up), and
# * HTTP/1.1 keep-alive connections idle (the server spoke last, everything read) for KEEP_ALIVE_TIMEOUT_S
#   (HTTP/2 connections stay while the client answers the server's pings).
SILENT_TIMEOUT_S = 10.0
KEEP_ALIVE_TIMEOUT_S = 60.0
WRITE_TIMEOUT_S = 30.0
UNANSWERED_TIMEOUT_S = 120.0
REAP_INTERVAL_S = 2.0


class StartError(Exception):
    """The server cannot start; the message says why (exit status 2)."""


@dataclass(frozen=True)
class AppLoader:
    """Called by Granian in each worker process: the app built by the factory from the parent's config.

    The worker first asks the kernel to kill it when the main process dies (even by SIGKILL), so no orphan
    worker keeps serving the port; then builds the app and reports on `ready`.
    """

    config: EmulatorConfig
    ready: Connection | None = None
    parent_pid: int = 0

    def __call__(self, target: str = APP_TARGET) -> Callable[..., Any]:
        die_with_parent(self.parent_pid)
        app = create_app(self.config).wsgi_app
        threading.Thread(target=reap_connections, name="connection-reaper", daemon=True).start()
        if self.ready is not None:
            with contextlib.suppress(OSError):
                self.ready.send(os.getpid())
        return app


def die_with_parent(parent_pid: int) -> None:
    """Linux: SIGKILL this process when its parent exits; exit now if the parent is already gone."""
    if not sys.platform.startswith("linux") or not parent_pid:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        libc.prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent_pid:  # the parent died before the request above: nobody would stop us
        os._exit(1)


@dataclass(frozen=True)
class TcpState:
    """What the kernel knows about one accepted connection (from TCP_INFO and the send queue)."""

    bytes_received: int
    ms_since_data_sent: int  # very large when nothing was ever sent
    unsent_bytes: int
    ms_since_data_received: int  # since the connection was set up when nothing was received


def tcp_state(sock: socket.socket) -> TcpState | None:
    """The state of a connected TCP socket, or None for anything else (a listener, a pipe, a Unix socket)."""
    try:
        if sock.type != socket.SOCK_STREAM or sock.family not in (socket.AF_INET, socket.AF_INET6):
            return None
        if sock.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN):
            return None
        info = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 136)
        unsent = bytearray(4)
        fcntl.ioctl(sock.fileno(), termios.TIOCOUTQ, unsent)
    except OSError:
        return None
    if len(info) < 136:
        return None
    # struct tcp_info (linux/tcp.h): tcpi_last_data_sent at byte 44, tcpi_last_data_recv at 52 (both ms),
    # tcpi_bytes_received at 128.
    last_sent, last_received = struct.unpack_from("=I4xI", info, 44)
    (received,) = struct.unpack_from("=Q", info, 128)
    (queued,) = struct.unpack("=i", bytes(unsent))
    return TcpState(received, last_sent, queued, last_received)


def should_close(state: TcpState) -> bool:
    """A connection that has sent nothing, not read its response, stalled after speaking, or stayed idle,
    for too long."""
    received_ago, sent_ago = state.ms_since_data_received, state.ms_since_data_sent
    silent = state.bytes_received == 0 and received_ago > SILENT_TIMEOUT_S * 1000
    unread = state.unsent_bytes > 0 and sent_ago > WRITE_TIMEOUT_S * 1000
    unanswered = sent_ago > received_ago > UNANSWERED_TIMEOUT_S * 1000
    idle = state.unsent_bytes == 0 and received_ago >= sent_ago > KEEP_ALIVE_TIMEOUT_S * 1000
    return silent or unread or unanswered or idle


def reap_connections() -> None:
    """Forever, in each worker: shut down the connections `should_close` picks (Linux; elsewhere nothing)."""
    fd_dir = Path("/proc/self/fd")
    if not fd_dir.is_dir():
        return
    while True:
        time.sleep(REAP_INTERVAL_S)
        for entry in list(fd_dir.iterdir()):
            with contextlib.suppress(OSError, ValueError):
                if not os.readlink(entry).startswith("socket:"):
                    continue
                sock = socket.socket(fileno=os.dup(int(entry.name)))
                try:
                    state = tcp_state(sock)
                    if state is not None and should_close(state):
                        sock.shutdown(socket.SHUT_RDWR)  # ends the connection for Granian too
                finally:
                    sock.close()  # the duplicate only


class _DropThreadCountWarning(logging.Filter):
    """Drop Granian's warning about many Python threads: BLOCKING_THREADS is chosen on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "Python threads" not in record.getMessage()


def logging_config() -> dict[str, Any]:
    """Granian's logging setup plus the emulator's logger (request lines), all on stdout."""
    config: dict[str, Any] = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"thread_count": {"()": _DropThreadCountWarning}}
    config["handlers"]["console"]["filters"] = ["thread_count"]
    config["loggers"][LOGGER_NAME] = {"handlers": ["access"], "level": "INFO", "propagate": False}
    return config


class GranianServer(Server):  # type: ignore[misc, valid-type]
    """Granian's server on a socket opened beforehand, announcing readiness once every worker has built its
    app, and stopping (not reloading) on SIGHUP.

    The announcing thread starts only once every worker is forked: a thread running while the parent forks
    can leave a lock (an import lock, the stdout buffer) held forever in the child.
    """

    listener: socket.socket | None = None
    ready: Connection | None = None

    def __init__(self, config: EmulatorConfig, **options: Any) -> None:
        super().__init__(APP_TARGET, **options)
        self.emulator_config = config

    def _init_shared_socket(self) -> None:
        if self.listener is None:
            super()._init_shared_socket()
            return
        # Every worker accepts from this socket (SocketHolder owns a duplicate of the descriptor).
        self._ssp = None
        self._shd = SocketHolder(os.dup(self.listener.fileno()), False, self.backlog)  # type: ignore[call-arg]
        self._sfd = self._shd.get_fd()
        self._sso = self.listener

    def _drop_shared_socket(self) -> None:
        """The socket is closed by `serve`, which opened it."""

    def signal_handler_reload(self, *args: Any, **kwargs: Any) -> None:
        """SIGHUP (a closed terminal) stops the server, like SIGTERM; Granian's default respawns workers."""
        self.signal_handler_interrupt(*args, **kwargs)

    def _spawn_workers(self, spawn_target: Any, target_loader: Any) -> None:
        super()._spawn_workers(spawn_target, target_loader)
        if self.ready is not None:
            ready, self.ready = self.ready, None  # announced once, not again when a worker is respawned
            threading.Thread(
                target=announce_when_ready, args=(self.emulator_config, ready), daemon=True
            ).start()


def build_server(config: EmulatorConfig) -> GranianServer:
    """A Granian server for `config` (WSGI interface, HTTP auto = HTTP/1.1 + h2c prior knowledge)."""
    return GranianServer(
        config,
        address=config.host,
        port=config.port,
        interface=Interfaces.WSGI,
        http=HTTPModes.auto,
        workers=config.workers,
        websockets=False,
        backlog=BACKLOG,
        backpressure=BACKPRESSURE,
        blocking_threads=BLOCKING_THREADS,
        http1_settings=HTTP1Settings(header_read_timeout=HEADER_READ_TIMEOUT_MS),
        http2_settings=HTTP2Settings(
            keep_alive_interval=H2_KEEP_ALIVE_INTERVAL_MS,
            keep_alive_timeout=H2_KEEP_ALIVE_TIMEOUT_S,
        ),
        log_level=LogLevels.debug if config.log_level == "debug" else LogLevels.warning,
        log_dictconfig=logging_config(),
        log_access=False,  # the app logs its own line per request, with the Bedrock error type and request id
        # A worker that dies (the OOM killer, a native crash) is replaced, not the end of the whole server;
        # Granian still exits on a crash loop (the same worker dying again within seconds of its respawn).
        respawn_failed_workers=True,
        # SIGTERM waits this long for calls in flight, then kills the workers: a client that never reads its
        # response, or never finishes its upload, cannot hold the shutdown.
        workers_kill_timeout=config.shutdown_timeout,
    )


def serve(config: EmulatorConfig) -> int:
    """Run until SIGTERM/SIGINT/SIGHUP; print the ready line once every worker is up. Returns the exit status.

    The test double's state directory, when the configuration chose a temporary one, is removed once the
    server (every worker) has stopped; directories left by a server that was killed are removed at the next
    start.
    """
    try:
        listener = open_listener(config.host, config.port)
    except StartError as exc:
        return _fail(str(exc))
    config = with_port(config, listener.getsockname()[1])
    try:
        lock = claim_state(config.testdouble)
    except StartError as exc:
        listener.close()
        return _fail(str(exc))
    remove_abandoned_state_dirs()
    ready_reader, ready_writer = multiprocessing.Pipe(duplex=False)
    try:
        server = build_server(config)
        server.listener = listener
        server.ready = ready_reader
        server.serve(target_loader=AppLoader(config, ready_writer, os.getpid()))
    finally:
        listener.close()
        ready_writer.close()
        ready_reader.close()
        if lock is not None:
            os.close(lock)
        config.testdouble.remove_owned_state()
    return 0


def _fail(message: str) -> int:
    print(f"nova-canvas-emulator: {message}", file=sys.stderr, flush=True)
    return 2


def open_listener(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port, or a `StartError` saying why not.

    A plain bind (no SO_REUSEPORT, which Granian would set) also means a second server on a busy port fails
    instead of silently sharing it with the first.
    """
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (socket.gaierror, UnicodeError) as exc:
        reason = exc.strerror if isinstance(exc, socket.gaierror) else str(exc)
        raise StartError(f"cannot resolve host {host!r}: {reason}") from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT leftovers are not a listener
    try:
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        shown = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            reason = f"http://{shown} is already in use (another server listens on port {port})"
        elif exc.errno == errno.EADDRNOTAVAIL:
            reason = f"cannot bind {host}: no network interface of this machine has that address"
        elif exc.errno == errno.EACCES:
            reason = f"cannot bind {shown}: permission denied (ports below 1024 need privileges)"
        else:
            reason = f"cannot bind {shown}: {exc.strerror}"
        raise StartError(reason) from None
    sock.set_inheritable(True)
    return sock


def claim_state(settings: TestDoubleConfig) -> int | None:
    """Lock `state_path` for this server and reset it to the settings; returns the lock's descriptor.

    The lock (`<state_path>.lock`, holding the owner's pid) is held by the main process and its workers, so a
    second server on the same path exits instead of wiping the first one's journal and rules. Resetting means
    removing the database: the workers create it again from the settings, with an empty journal.
    """
    if settings.state_path == MEMORY:
        return None
    path = Path(settings.state_path)
    where = f"state_path {path}"
    if path.is_dir():
        raise StartError(f"{where} is a directory; give the path of a file in it")
    if path.parent.exists() and not path.parent.is_dir():
        raise StartError(f"{where} cannot be used: {path.parent} is not a directory")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(str(path) + LOCK_SUFFIX, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise StartError(f"{where} cannot be used: {exc.strerror}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        owner = os.pread(fd, 32, 0).decode("ascii", "replace").strip() or "unknown"
        os.close(fd)
        raise StartError(
            f"{where} is in use by another nova-canvas-emulator (pid {owner}); give each server its own "
            "state_path"
        ) from None
    try:
        if not os.access(path.parent, os.W_OK):
            raise StartError(f"{where} cannot be used: its directory is not writable")
        if path.exists() and path.stat().st_size and path.read_bytes()[:16] != SQLITE_HEADER:
            raise StartError(f"{where} is not an emulator state file (not SQLite); refusing to replace it")
        for suffix in STATE_FILE_SUFFIXES:
            Path(str(path) + suffix).unlink(missing_ok=True)
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
    except OSError as exc:
        os.close(fd)
        raise StartError(f"{where} cannot be used: {exc.strerror}") from None
    except StartError:
        os.close(fd)
        raise
    return fd


def remove_abandoned_state_dirs(min_age_s: float = 60.0) -> None:
    """Remove temporary state directories whose server is gone (killed before it could remove its own).

    A directory is abandoned when its lock is free; one younger than `min_age_s` may belong to a server that
    is starting right now, so it is left alone.
    """
    now = time.time()
    for state_dir in Path(tempfile.gettempdir()).glob(STATE_DIR_PREFIX + "*"):
        lock_path = state_dir / (STATE_FILE + LOCK_SUFFIX)
        with contextlib.suppress(OSError):
            if now - lock_path.stat().st_mtime < min_age_s:
                continue
            with _unlocked(lock_path) as free:
                if free:
                    shutil.rmtree(state_dir, ignore_errors=True)


@contextlib.contextmanager
def _unlocked(lock_path: Path) -> Iterator[bool]:
    fd = os.open(lock_path, os.O_RDWR)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)


def announce_when_ready(config: EmulatorConfig, ready: Connection, timeout: float = READY_TIMEOUT_S) -> bool:
    """Wait until every worker has built its app (the socket already listens), then print the ready line."""
    deadline = time.monotonic() + timeout
    started: set[int] = set()
    while len(started) < config.workers:
        remaining = deadline - time.monotonic()
        try:
            if remaining <= 0 or not ready.poll(remaining):
                break
            started.add(int(ready.recv()))
        except (EOFError, OSError):
            break
    if len(started) < config.workers:
        print(f"nova-canvas-emulator: not ready after {timeout:.0f}s", file=sys.stderr, flush=True)
        return False
    print(f"nova-canvas-emulator ready on {base_url(config)}", flush=True)
    return True


def base_url(config: EmulatorConfig) -> str:
    """The URL clients use (`endpoint_url`)."""
    host = f"[{config.host}]" if ":" in config.host else config.host
    return f"http://{host}:{config.port}"
