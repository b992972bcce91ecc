"""The server process as a user meets it: start-up output, start-up errors (exit status 2, one line, no
traceback), one server per state file, signals, orphan workers, and connections that hold resources."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.support.server import ROOT, EmulatorProcess, server_command, subprocess_env

READY = re.compile(r"^nova-canvas-emulator ready on http://127\.0\.0\.1:(\d+)$")


def run_command(
    args: list[str], env: dict[str, str | None] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    """The command, on a port the system picks unless `args` name one (a start that should fail but does
    not must not take a fixed port)."""
    port = [] if "--port" in args else ["--port", "0"]
    return subprocess.run(
        [*server_command(), *port, *args],
        capture_output=True,
        text=True,
        env=subprocess_env(env),
        cwd=cwd,
        timeout=60,
        check=False,
    )


def start(
    tmp_path: Path, name: str, args: list[str] | None = None, env: dict[str, str | None] | None = None
) -> EmulatorProcess:
    return EmulatorProcess.start(tmp_path / f"{name}.log", args or [], env)


def pids_of_children(pid: int) -> set[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return {int(p) for p in children.read_text().split()} if children.exists() else set()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return state != "Z"


def wait_until(predicate: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


# --- start-up output ---------------------------------------------------------------------------------


def test_output_is_the_ready_line_then_one_line_per_request(tmp_path: Path) -> None:
    srv = start(tmp_path, "output", ["--workers", "2"])
    try:
        assert httpx.get(srv.url + "/_emulator/health", timeout=10).status_code == 200
        assert wait_until(lambda: len(srv.log().splitlines()) >= 2, 10)
    finally:
        assert srv.stop() == 0
    lines = srv.log().splitlines()
    assert READY.match(lines[0]), lines
    assert len(lines) == 2, lines
    assert lines[1].startswith('127.0.0.1 "GET /_emulator/health HTTP/1.1" 200 '), lines


def test_port_0_serves_on_the_port_it_reports(tmp_path: Path) -> None:
    log = tmp_path / "port0.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [*server_command(), "--port", "0"],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=subprocess_env({"NOVA_EMULATOR_STATE_PATH": str(tmp_path / "s.sqlite3")}),
        )
    try:
        assert wait_until(lambda: "ready on" in log.read_text(), 60), log.read_text()
        match = READY.match(log.read_text().splitlines()[0])
        assert match and int(match.group(1)) != 0
        reply = httpx.get(f"http://127.0.0.1:{match.group(1)}/_emulator/health", timeout=10)
        assert reply.json()["status"] == "ok"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0


def test_version_and_help() -> None:
    version = run_command(["--version"])
    assert version.returncode == 0 and re.fullmatch(
        r"nova-canvas-emulator \d+\.\d+\.\d+\S*\n", version.stdout
    )
    shown = run_command(["--help"]).stdout
    from emulator.config import SETTINGS

    for setting in SETTINGS:
        assert re.search(rf"^  {setting.name} +{setting.env_var} +\S", shown, re.M), setting.name


# --- start-up errors: exit status 2, one line naming the cause ----------------------------------------


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result
    assert result.stderr == f"nova-canvas-emulator: {message}\n"
    assert "Traceback" not in result.stdout + result.stderr


def test_bind_errors_say_what_went_wrong(tmp_path: Path) -> None:
    assert_refused(
        run_command(["--host", "10.255.255.1", "--port", "8000"]),
        "cannot bind 10.255.255.1: no network interface of this machine has that address",
    )
    result = run_command(["--host", "not-a-host.invalid"])
    assert result.returncode == 2 and result.stderr.startswith(
        "nova-canvas-emulator: cannot resolve host 'not-a-host.invalid': "
    ), result.stderr
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert_refused(
            run_command(["--port", str(port)]),
            f"http://127.0.0.1:{port} is already in use (another server listens on port {port})",
        )


@pytest.mark.parametrize(
    ("file_name", "text", "message"),
    [
        (
            "bad.yaml",
            "workers: [1\n",
            "{path}: invalid YAML at line 2, column 1: expected ',' or ']', but got '<stream end>'",
        ),
        (
            "bad.json",
            '{"port": 1,}',
            "{path}: invalid JSON at line 1, column 12: Expecting property name enclosed in double quotes",
        ),
        ("bad.yaml", "workers: two\n", "{path}: setting workers: not an integer: 'two'"),
        (
            "bad.yaml",
            "control_token:\n",
            "{path}: setting control_token: must be text, not null (quote it in YAML)",
        ),
        (
            "bad.yaml",
            "control_token: yes\n",
            "{path}: setting control_token: must be text, not a boolean (quote it in YAML)",
        ),
        (
            "bad.yaml",
            "control_token: ' s3cret'\n",
            "{path}: setting control_token: has spaces around it, which no client would send",
        ),
        (
            "bad.yaml",
            "bearer_tokens: ['a', '']\n",
            "{path}: setting bearer_tokens: empty; leave the setting out for none",
        ),
        ("bad.yaml", "no_such: 1\n", "{path}: setting no_such: unknown setting"),
        ("bad.yaml", "- 1\n", "{path}: the top level must be a mapping of settings, not a list"),
        ("missing.yaml", None, "{path}: cannot read the configuration file: No such file or directory"),
    ],
)
def test_configuration_errors_name_the_file_and_setting(
    tmp_path: Path, file_name: str, text: str | None, message: str
) -> None:
    path = tmp_path / file_name
    if text is not None:
        path.write_text(text)
    assert_refused(run_command(["--config", str(path)]), message.format(path=path))


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"NOVA_EMULATOR_CONTROL_TOKEN": ""},
            "setting control_token (NOVA_EMULATOR_CONTROL_TOKEN): empty; leave the setting out for none",
        ),
        ({"NOVA_EMULATOR_WORKERS": "two"}, "setting workers (NOVA_EMULATOR_WORKERS): not an integer: 'two'"),
        (
            {"NOVA_EMULATOR_BEARER_TOKENS": ""},
            "setting bearer_tokens (NOVA_EMULATOR_BEARER_TOKENS): empty; leave the setting out for none",
        ),
        (
            {"NOVA_EMULATOR_ACCESS_KEYS": "AKID="},
            "setting access_keys (NOVA_EMULATOR_ACCESS_KEYS): expected key=value, got 'AKID='",
        ),
        (
            {"NOVA_EMULATOR_STATE_PATH": ":memory:", "NOVA_EMULATOR_WORKERS": "2"},
            "setting state_path (NOVA_EMULATOR_STATE_PATH): `:memory:` keeps state inside one process, so it "
            "cannot be shared by 2 workers (set workers to 1, or give state_path a file)",
        ),
    ],
)
def test_environment_errors_name_the_variable(env: dict[str, str | None], message: str) -> None:
    assert_refused(run_command([], env), message)


def test_bad_state_paths_are_refused(tmp_path: Path) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    assert_refused(
        run_command([], {"NOVA_EMULATOR_STATE_PATH": str(folder)}),
        f"state_path {folder} is a directory; give the path of a file in it",
    )
    precious = tmp_path / "notes.txt"
    precious.write_text("not a database")
    assert_refused(
        run_command([], {"NOVA_EMULATOR_STATE_PATH": str(precious)}),
        f"state_path {precious} is not an emulator state file (not SQLite); refusing to replace it",
    )
    assert precious.read_text() == "not a database"
    blocker = tmp_path / "file"
    blocker.write_text("")
    nested = blocker / "state.sqlite3"
    assert_refused(
        run_command([], {"NOVA_EMULATOR_STATE_PATH": str(nested)}),
        f"state_path {nested} cannot be used: {blocker} is not a directory",
    )


# --- one server per state file; each start from the settings ------------------------------------------


def test_second_server_on_the_same_state_path_is_refused(tmp_path: Path) -> None:
    state = tmp_path / "shared.sqlite3"
    first = start(tmp_path, "first", env={"NOVA_EMULATOR_STATE_PATH": str(state)})
    try:
        httpx.post(first.url + "/_emulator/rules", json={"action": "ThrottlingException"}, timeout=10)
        second = run_command(
            ["--port", "0"], {"NOVA_EMULATOR_STATE_PATH": str(state), "NOVA_EMULATOR_BLOCKED_WORDS": "x"}
        )
        assert_refused(
            second,
            f"state_path {state} is in use by another nova-canvas-emulator (pid {first.proc.pid}); give each "
            "server its own state_path",
        )
        assert len(httpx.get(first.url + "/_emulator/rules", timeout=10).json()["rules"]) == 1
        assert httpx.get(first.url + "/_emulator/filters", timeout=10).json()["blocked_words"] == []
    finally:
        assert first.stop() == 0


def test_a_restart_begins_from_the_settings(tmp_path: Path) -> None:
    """Rules added at run time and the journal do not survive a restart: the settings are the start state."""
    env: dict[str, str | None] = {
        "NOVA_EMULATOR_STATE_PATH": str(tmp_path / "state.sqlite3"),
        "NOVA_EMULATOR_RULES": json.dumps([{"action": {"latency_ms": 1}}]),
    }
    srv = start(tmp_path, "before", env=env)
    try:
        httpx.post(srv.url + "/_emulator/rules", json={"action": "ThrottlingException"}, timeout=10)
        before = httpx.get(srv.url + "/_emulator/rules", timeout=10).json()["rules"]
        assert len(before) == 2
        assert httpx.get(srv.url + "/model/nope/invoke", timeout=10).status_code == 404  # journaled
        assert httpx.get(srv.url + "/_emulator/journal", timeout=10).json()["entries"] != []
    finally:
        assert srv.stop() == 0
    srv = start(tmp_path, "after", env=env)
    try:
        rules = httpx.get(srv.url + "/_emulator/rules", timeout=10).json()["rules"]
        assert [rule["action"] for rule in rules] == [before[0]["action"]]
        assert httpx.get(srv.url + "/_emulator/journal", timeout=10).json()["entries"] == []
    finally:
        assert srv.stop() == 0


# --- signals and orphans --------------------------------------------------------------------------------


def test_sighup_stops_the_server_and_its_workers(tmp_path: Path) -> None:
    srv = start(tmp_path, "hup", ["--workers", "2"])
    workers = pids_of_children(srv.proc.pid)
    assert len(workers) >= 2
    assert srv.stop(signal.SIGHUP) == 0
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 10)


def test_workers_die_with_a_killed_main_process(tmp_path: Path) -> None:
    srv = start(tmp_path, "kill", ["--workers", "2"], env={"NOVA_EMULATOR_STATE_PATH": None})
    workers = pids_of_children(srv.proc.pid)
    assert len(workers) >= 2
    srv.stop(signal.SIGKILL)
    assert wait_until(lambda: not any(alive(pid) for pid in workers), 10), "orphan workers still running"
    with pytest.raises(httpx.ConnectError):
        httpx.get(srv.url + "/_emulator/health", timeout=5)


def _stalled_upload(port: int) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", port))
    path = "/model/amazon.nova-canvas-v1:0/invoke"
    sock.sendall(
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        'Content-Length: 100000\r\n\r\n{"taskType":'.encode()
    )
    return sock


def _unread_response(port: int) -> socket.socket:
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    body = json.dumps(
        {
            "taskType": "TEXT_IMAGE",
            "textToImageParams": {"text": "x"},
            "imageGenerationConfig": {"width": 2048, "height": 2048, "numberOfImages": 5},
        }
    ).encode()
    head = (
        "POST /model/amazon.nova-canvas-v1:0/invoke HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body)
    return sock


def test_sigterm_finishes_in_bounded_time_whatever_clients_do(tmp_path: Path) -> None:
    """A stalled upload and an unread response do not hold the shutdown past `shutdown_timeout`."""
    srv = start(tmp_path, "grace", env={"NOVA_EMULATOR_SHUTDOWN_TIMEOUT": "2"})
    held = [_stalled_upload(srv.port), _unread_response(srv.port)]
    try:
        time.sleep(3)  # the generation has finished and its response waits for a reader
        srv.proc.send_signal(signal.SIGTERM)
        assert srv.proc.wait(20) in (0, 1)
    finally:
        for sock in held:
            sock.close()
        srv.stop()


def test_silent_connections_are_closed_and_others_still_answered(tmp_path: Path) -> None:
    """Connections that send nothing are closed after the silent timeout (10 s), and while they are open
    the server still answers others."""
    srv = start(tmp_path, "silent")
    silent = [socket.create_connection(("127.0.0.1", srv.port)) for _ in range(1100)]
    try:
        assert httpx.get(srv.url + "/_emulator/health", timeout=60).status_code == 200

        def all_closed() -> bool:
            for sock in silent:
                sock.settimeout(0.01)
                try:
                    if sock.recv(1) != b"":
                        return False
                except TimeoutError:
                    return False
                except OSError:
                    pass
            return True

        assert wait_until(all_closed, 60)
    finally:
        for sock in silent:
            sock.close()
        assert srv.stop() == 0


def test_python_m_emulator_ignores_a_users_validator_module(tmp_path: Path) -> None:
    (tmp_path / "validator.py").write_text('raise ImportError("the user\'s validator.py was imported")\n')
    env = subprocess_env({"PYTHONPATH": None})
    result = subprocess.run(
        [sys.executable, "-m", "emulator", "--version"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", "--port", "0"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        assert wait_until(lambda: "ready on" in log.read_text() or proc.poll() is not None, 60), (
            log.read_text()
        )
        assert "ready on" in log.read_text(), log.read_text()
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(30)
    assert os.path.exists(tmp_path / "validator.py")


# --- which connections the reaper closes (the kernel's view of one connection) -------------------------


@pytest.mark.parametrize(
    ("received", "sent_ago", "unsent", "received_ago", "closed"),
    [
        (0, 10**9, 0, 9_000, False),  # connected 9 s ago, nothing sent yet
        (0, 10**9, 0, 11_000, True),  # silent for more than 10 s
        (500, 31_000, 4_000_000, 40_000, True),  # response not read for more than 30 s
        (500, 20_000, 4_000_000, 40_000, False),  # response being read slowly
        (500, 10**9, 0, 121_000, True),  # upload stalled, or a call held, for more than 120 s
        (500, 10**9, 0, 100_000, False),  # a call held 100 s (latency rule)
        (500, 61_000, 0, 62_000, True),  # keep-alive idle for more than 60 s
        (500, 30_000, 0, 62_000, False),  # answered 30 s ago
    ],
)
def test_reaper_rules(received: int, sent_ago: int, unsent: int, received_ago: int, closed: bool) -> None:
    from emulator.server import TcpState, should_close

    assert should_close(TcpState(received, sent_ago, unsent, received_ago)) is closed


def test_unread_responses_are_dropped_after_the_write_timeout(tmp_path: Path) -> None:
    """A client that does not read its response (five 2048x2048 images, about 29 MB): after the write timeout
    (30 s) the server drops it, so a reader that comes back late gets only what the kernel had buffered."""
    srv = start(tmp_path, "unread")
    sock = _unread_response(srv.port)
    try:
        time.sleep(45)  # the write timeout, the reaper's interval, and the generation itself
        sock.settimeout(10)
        head = b""
        while b"\r\n\r\n" not in head:
            head += sock.recv(65536)
        length = int(re.search(rb"content-length: (\d+)", head.lower()).group(1))  # type: ignore[union-attr]
        received = len(head.split(b"\r\n\r\n", 1)[1])
        try:
            while chunk := sock.recv(1 << 20):
                received += len(chunk)
        except (TimeoutError, ConnectionResetError):
            pass
        assert length > 25_000_000 and received < length, (length, received)
        assert httpx.get(srv.url + "/_emulator/health", timeout=10).status_code == 200
    finally:
        sock.close()
        assert srv.stop() == 0


def test_extra_bytes_after_the_body_are_bounded(tmp_path: Path) -> None:
    """Bytes beyond the `Content-Length` that start a request head which never completes: the first request
    is answered, and the connection is closed by the header read timeout (10 s), not held."""
    srv = start(tmp_path, "extra")
    body = json.dumps({"taskType": "TEXT_IMAGE", "textToImageParams": {"text": "x"}}).encode()
    head = (
        "POST /model/amazon.nova-canvas-v1:0/invoke HTTP/1.1\r\nHost: x\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock = socket.create_connection(("127.0.0.1", srv.port))
    try:
        sock.sendall(head + body + b"GET /_emulator/health HTTP/1.1\r\nHost: x\r\n")
        sock.settimeout(60)
        received = b""
        while chunk := sock.recv(1 << 20):
            received += chunk
        assert received.startswith(b"HTTP/1.1 200 OK\r\n")
        assert received.count(b"HTTP/1.1 ") == 1
    finally:
        sock.close()
        assert srv.stop() == 0


def test_state_directories_of_killed_servers_are_removed_at_the_next_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory whose lock is free and older than a minute is a killed server's; a held or young one is
    left alone."""
    import fcntl
    import tempfile

    from emulator import server
    from emulator.config import STATE_DIR_PREFIX, STATE_FILE

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dirs = {name: tmp_path / f"{STATE_DIR_PREFIX}{name}" for name in ("abandoned", "held", "young")}
    for state_dir in dirs.values():
        state_dir.mkdir()
        (state_dir / (STATE_FILE + server.LOCK_SUFFIX)).write_text("1")
    old = time.time() - 120
    for name in ("abandoned", "held"):
        os.utime(dirs[name] / (STATE_FILE + server.LOCK_SUFFIX), (old, old))
    with (dirs["held"] / (STATE_FILE + server.LOCK_SUFFIX)).open("r+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        server.remove_abandoned_state_dirs()
    assert {name: path.exists() for name, path in dirs.items()} == {
        "abandoned": False,
        "held": True,
        "young": True,
    }
