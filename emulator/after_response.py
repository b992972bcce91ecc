"""Work that need not delay a response: the journal entry and the access-log line.

A Bedrock response is handed to the server as soon as it is complete. The journal entry (building it, its
JSON, the SQLite insert, the sha256 of each large new image) and the log line are written afterwards by one
thread per worker process, in the order the requests finished, so their cost overlaps sending the response
and the client reading it instead of adding to every call's latency (issue 3's speed targets).

What a client can observe stays as it was with synchronous writes: a write counts as pending *before* its
response leaves, and whatever reads or clears the journal first waits (`settle`) until no write is pending
in any worker of the server. Each worker counts its pending writes in a small file of its own under
`shared_dir`, mapped into memory (one writing process per file, so no lock between processes); `settle`
reads every worker's file. A worker that died with writes pending is skipped and its file removed.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import mmap
import os
import struct
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable
from pathlib import Path

logger = logging.getLogger("nova_canvas_emulator")

SETTLE_TIMEOUT_S = 5.0  # a reader waits at most this long for other workers' writes
# Beyond this many tasks waiting, `submit` waits for the writer: a task can hold a whole request (up to 25 MB
# of body) until its journal entry is written, so the queue must not grow without bound if the writer falls
# behind (a database locked by another process, a burst of large bodies).
MAX_PENDING = 64
SHUTDOWN_DRAIN_S = 2.0  # at interpreter exit, queued writes get this long to finish
IDLE_EXIT_S = 10.0  # a writer thread with nothing to do for this long ends; the next task starts another
_POLL_S = 0.0002
_COUNT = struct.Struct("<q")


class AfterResponse:
    """A per-process FIFO of tasks run by one daemon thread, with a barrier across worker processes."""

    def __init__(self, shared_dir: str | None = None) -> None:
        self._shared_dir = Path(shared_dir) if shared_dir is not None else None
        self._owner_pid = -1  # the process whose thread and counter file are set up (-1: none yet)
        self._start_lock = threading.Lock()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._tasks: deque[Callable[[], object]] = deque()
        self._pending = 0
        self._writing = False  # a writer thread is running (it ends after IDLE_EXIT_S without work)
        self._slot: mmap.mmap | None = None

    # --- the writing side -----------------------------------------------------------------------------

    def submit(self, task: Callable[[], object]) -> None:
        """Run `task` after the current response, on this process's writer thread (errors are logged).
        Waits first while `MAX_PENDING` tasks are waiting. Never call it from a task."""
        if self._owner_pid != os.getpid():
            with self._start_lock:
                if self._owner_pid != os.getpid():
                    self._start()
        with self._lock:
            while self._pending >= MAX_PENDING:
                self._changed.wait()
            self._tasks.append(task)
            self._pending += 1
            self._publish()
            self._changed.notify_all()
            if not self._writing:
                self._writing = True
                threading.Thread(target=self._run, name="after-response", daemon=True).start()

    def _start(self) -> None:
        """Set up this process's thread and counter file (on first use; again after a fork)."""
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._tasks, self._pending, self._writing = deque(), 0, False
        self._slot = self._open_slot()
        self._owner_pid = os.getpid()
        atexit.register(_drain_at_exit, weakref.ref(self))

    def _open_slot(self) -> mmap.mmap | None:
        if self._shared_dir is None:
            return None
        self._shared_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._shared_dir / str(os.getpid()), os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.ftruncate(fd, _COUNT.size)
            return mmap.mmap(fd, _COUNT.size, mmap.MAP_SHARED, mmap.PROT_READ | mmap.PROT_WRITE)
        finally:
            os.close(fd)  # the mapping stays valid

    def _publish(self) -> None:
        """Make this process's pending count visible to other workers (called with the lock held)."""
        if self._slot is not None:
            _COUNT.pack_into(self._slot, 0, self._pending)

    def _run(self) -> None:
        while True:
            with self._lock:
                while not self._tasks:
                    if not self._changed.wait(IDLE_EXIT_S) and not self._tasks:
                        self._writing = False  # idle: no thread is kept per app that is gone
                        return
                task = self._tasks.popleft()
            try:
                task()
            except Exception:  # a failed journal write must not stop later ones
                logger.exception("work after a response failed")
            del task  # what it holds (a whole request, for a journal write) is freed before the next task
            with self._lock:
                self._pending -= 1
                self._publish()
                self._changed.notify_all()

    def drain_at_exit(self) -> None:
        """Let queued work finish (for a while), then remove this process's counter file."""
        if self._owner_pid == os.getpid():
            self._settle_here(time.monotonic() + SHUTDOWN_DRAIN_S)
            if self._shared_dir is not None:
                with contextlib.suppress(OSError):
                    (self._shared_dir / str(os.getpid())).unlink()

    # --- the reading side -----------------------------------------------------------------------------

    def settle(self, timeout: float = SETTLE_TIMEOUT_S) -> bool:
        """Wait until no work submitted before this call is pending in any worker; False on timeout."""
        deadline = time.monotonic() + timeout
        return self._settle_here(deadline) and self._settle_peers(deadline)

    def _settle_here(self, deadline: float) -> bool:
        if self._owner_pid != os.getpid():
            return True  # nothing was submitted in this process
        with self._lock:
            while self._pending:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
        return True

    def _settle_peers(self, deadline: float) -> bool:
        if self._shared_dir is None:
            return True
        try:
            names = os.listdir(self._shared_dir)
        except FileNotFoundError:
            return True
        own = str(os.getpid())
        return all(_settle_peer(self._shared_dir / name, deadline) for name in names if name != own)


def _drain_at_exit(ref: weakref.ref[AfterResponse]) -> None:
    after = ref()
    if after is not None:
        after.drain_at_exit()


def _settle_peer(path: Path, deadline: float) -> bool:
    """Wait until the worker counting in `path` has nothing pending (or has died)."""
    try:
        pid = int(path.name)
        fd = os.open(path, os.O_RDONLY)
    except (ValueError, OSError):
        return True
    try:
        if os.fstat(fd).st_size < _COUNT.size:
            return True
        view = mmap.mmap(fd, _COUNT.size, mmap.MAP_SHARED, mmap.PROT_READ)
    finally:
        os.close(fd)
    with view:
        while _COUNT.unpack_from(view)[0] > 0:
            if not _alive(pid):
                with contextlib.suppress(OSError):
                    path.unlink()
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_S)
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
