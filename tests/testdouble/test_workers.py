"""Rules, counters and the journal are shared by every worker process of one server (`--workers 2`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from emulator.pytest_plugin import EmulatorServer, start_server
from tests.support.bodies import text_body
from tests.support.clients import invoke

CALLS = 40
THREADS = 8


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorServer]:
    server = start_server({"workers": "2"}, tmp_path_factory.mktemp("workers"))
    try:
        yield server
    finally:
        server.stop()


def _outcome(client: Any) -> str:
    try:
        invoke(client, text_body())
    except client.exceptions.ThrottlingException:
        return "throttled"
    return "ok"


def _run_calls(server: EmulatorServer, total_attempts: int) -> list[str]:
    """CALLS InvokeModel calls from THREADS threads, each thread with its own client (own connections)."""
    clients = [server.bedrock_client(total_attempts=total_attempts) for _ in range(THREADS)]
    with ThreadPoolExecutor(THREADS) as pool:
        return list(pool.map(lambda i: _outcome(clients[i % THREADS]), range(CALLS)))


def test_times_counter_is_exact_across_workers(two_workers: EmulatorServer) -> None:
    control = two_workers.control
    control.reset()
    rule = control.add_rule("ThrottlingException", times=7)
    outcomes = Counter(_run_calls(two_workers, total_attempts=1))
    assert outcomes == {"throttled": 7, "ok": CALLS - 7}
    entries = control.journal()
    assert len(entries) == CALLS
    assert Counter(e["status"] for e in entries) == {429: 7, 200: CALLS - 7}
    [stored] = control.rules()
    assert (stored["id"], stored["matched"], stored["fired"]) == (rule["id"], CALLS, 7)


def test_per_call_scenario_holds_for_every_call_across_workers(two_workers: EmulatorServer) -> None:
    control = two_workers.control
    control.reset()
    control.add_rule(sequence=["ThrottlingException", "ThrottlingException", "ok"], count="call")
    assert set(_run_calls(two_workers, total_attempts=3)) == {"ok"}
    by_call: dict[str, list[tuple[int, int]]] = {}
    for entry in control.journal():
        by_call.setdefault(entry["invocation_id"], []).append((entry["attempt"], entry["status"]))
    assert len(by_call) == CALLS
    assert all(sorted(attempts) == [(1, 429), (2, 429), (3, 200)] for attempts in by_call.values())


def test_rule_changes_reach_every_worker(two_workers: EmulatorServer) -> None:
    control = two_workers.control
    control.reset()
    control.add_rule("ServiceUnavailableException")
    clients = [two_workers.bedrock_client(total_attempts=1) for _ in range(THREADS)]
    for client in clients:
        with pytest.raises(client.exceptions.ServiceUnavailableException):
            invoke(client, text_body())
    control.clear_rules()
    for client in clients:
        assert len(invoke(client, text_body())["images"]) == 1
    assert len(control.journal()) == 2 * THREADS


def test_both_workers_serve_one_shared_state(two_workers: EmulatorServer) -> None:
    """Fresh connections until both workers have accepted one (which worker accepts is the kernel's choice,
    so the test keeps connecting rather than expecting a spread); the journal is one, whichever served."""
    control = two_workers.control
    control.reset()
    pids: set[int] = set()
    for _ in range(200):
        invoke(two_workers.bedrock_client(total_attempts=1), text_body())
        pids = {entry["worker_pid"] for entry in control.journal()}
        if len(pids) == 2:
            break
    assert len(pids) == 2, "a worker never accepted a connection in 200 tries"
