"""The REAL emulator server as a subprocess, shared by every suite that needs one and by bench/.

The console script (Granian) on a port it picks itself (`--port 0`, read from its ready line), its output in
a log file (never a full pipe), readiness from its ready line, stopped by signalling our own child by pid. The
server's environment is the test's without `NOVA_EMULATOR_*` leaking in from the caller, with the checkout
root first on PYTHONPATH (the server runs the code next to these tests, even if another checkout is installed
in the venv) and the test double's SQLite state next to the log (pytest's tmp dirs are pruned; the
emulator's own default, a fresh /tmp/nova-canvas-emulator-* directory per start, is removed when the server
stops, or by the next start when it was killed).

`emulator/pytest_plugin.py` is the public counterpart for users' test suites.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Self

from tests.support.rawhttp import http_request

ROOT = Path(__file__).resolve().parents[2]
READY_MARK = "nova-canvas-emulator ready on "
ENV_PREFIX = "NOVA_EMULATOR_"
STATE_PATH = ENV_PREFIX + "STATE_PATH"


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (for servers that cannot take `--port 0`; the
    emulator can, and reports the port it got in its ready line, which avoids the race)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command() -> list[str]:
    """The console script next to this interpreter, or `python -m emulator` when it is not installed."""
    script = Path(sys.executable).parent / "nova-canvas-emulator"
    return [str(script)] if script.exists() else [sys.executable, "-m", "emulator"]


def subprocess_env(extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """The test's environment without NOVA_EMULATOR_* leaking in from the caller, the checkout root first on
    PYTHONPATH, plus `extra` (a None value leaves that variable unset)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    for key, value in (extra or {}).items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return env


def server_env(log_path: Path, extra: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """`subprocess_env` for a server logging to `log_path`: its state next to the log unless `extra` sets
    NOVA_EMULATOR_STATE_PATH (to a path, or to None for the emulator's own default)."""
    return subprocess_env({STATE_PATH: str(log_path.with_suffix(".state.sqlite3")), **(extra or {})})


class EmulatorProcess:
    """A running `nova-canvas-emulator` (our own child process); output goes to a log file. Its liveness and
    its worker processes are read from /proc (Linux)."""

    def __init__(
        self, log_path: Path, args: Sequence[str] = (), env: Mapping[str, str | None] | None = None
    ) -> None:
        # `--port 0`: the server binds a port the system picks and reports it in its ready line (no race with
        # another process between choosing a free port and binding it); `wait_ready` reads it.
        self.port = 0
        self.url = ""
        if "--port" not in args:
            args = ["--port", "0", *args]
        self.log_path = log_path
        environ = server_env(log_path, env)
        # The test double's SQLite file; None when the emulator picks its own (the setting left unset).
        self.state_path = Path(environ[STATE_PATH]) if STATE_PATH in environ else None
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [*server_command(), *args],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env=environ,
            cwd=ROOT,
        )

    @classmethod
    def start(
        cls, log_path: Path, args: Sequence[str] = (), env: Mapping[str, str | None] | None = None
    ) -> Self:
        """Start a server and wait for its ready line (stopped again if it never gets ready)."""
        server = cls(log_path, args, env)
        try:
            server.wait_ready()
        except RuntimeError:
            server.stop(timeout=5)
            raise
        return server

    def log(self) -> str:
        """Everything the server printed so far."""
        return self.log_path.read_text(errors="replace")

    def wait_ready(self, timeout: float = 60.0) -> str:
        """Block until the ready line appears; return it (and take the port it reports)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.log().splitlines():
                if line.startswith(READY_MARK):
                    self.port = int(line.rsplit(":", 1)[1])
                    self.url = f"http://127.0.0.1:{self.port}"
                    return line
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.log()}")
            time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log()}")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Signal our own child (by pid), SIGKILL it if it does not exit in time; return its exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._log.close()
        return int(self.proc.returncode)

    def alive(self) -> bool:
        """The main process runs and `/_emulator/health` answers 200 within 10 s."""
        if self.proc.poll() is not None:
            return False
        try:
            status, _, _ = http_request(self.port, "GET", "/_emulator/health", timeout=10)
        except OSError:
            return False
        return status == 200

    def worker_pids(self) -> list[int]:
        """Granian's worker processes (children of the main process)."""
        path = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        try:
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    def logged_worker_pids(self) -> list[int]:
        """Every worker PID Granian logged (`Spawning worker-N with PID: P`), respawned ones included."""
        return [int(pid) for pid in re.findall(r"Spawning worker-\d+ with PID: (\d+)", self.log())]

    def leftover_workers(self) -> list[int]:
        """Logged workers still running once the main process has exited; they are killed (our own server's
        processes, by PID) so that no test leaves one behind, and returned."""
        left = [
            pid
            for pid in self.logged_worker_pids()
            if Path(f"/proc/{pid}").exists() and _is_zombie(pid) is False
        ]
        for pid in left:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return left

    def rss_kib(self) -> int:
        """Resident memory of the main process and its workers, in KiB (Linux /proc)."""
        return sum(_status_kib(pid, "VmRSS") for pid in [self.proc.pid, *self.worker_pids()])

    def peak_rss_kib(self) -> int:
        """The largest high-water mark (VmHWM) of any worker, in KiB."""
        return max((_status_kib(pid, "VmHWM") for pid in self.worker_pids()), default=0)

    def listening(self) -> list[str]:
        """The local addresses of this server's listening TCP sockets, as `ip:port` (from /proc/net/tcp*)."""
        return listening_addresses(self.port)


def start_server(
    tmp: Path,
    name: str,
    args: Sequence[str] = (),
    env: Mapping[str, str | None] | None = None,
    *,
    access_log: bool = False,
) -> EmulatorProcess:
    """Start a server logging to `<tmp>/<name>.log` and wait for its ready line (stopped again if it never
    gets ready). An `env` value of None leaves that setting unset. The access log is off unless asked for:
    most tests read the log only for start-up lines and errors, and a busy server's access log buries them."""
    quiet = {} if access_log else {ENV_PREFIX + "ACCESS_LOG": "false"}
    return EmulatorProcess.start(tmp / f"{name}.log", args, {**quiet, **(env or {})})


def _is_zombie(pid: int) -> bool | None:
    """True for a zombie, False for a live process, None when there is no such process."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z"
    except OSError:
        return None


def _status_kib(pid: int, key: str) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def listening_addresses(port: int) -> list[str]:
    """Every listening (state 0A) TCP socket on `port`, as `ip:port`, from /proc/net/tcp and tcp6."""
    found = []
    for name, width in (("tcp", 8), ("tcp6", 32)):
        try:
            lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            local, state = fields[1], fields[3]
            addr_hex, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port and len(addr_hex) == width:
                found.append(f"{_ip(addr_hex)}:{port}")
    return found


def _ip(addr_hex: str) -> str:
    raw = bytes.fromhex(addr_hex)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1])
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words)
