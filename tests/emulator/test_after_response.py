"""Work after the response (`emulator.after_response`): order, errors, and the barrier journal reads wait on,
in one process and across worker processes."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from emulator.after_response import AfterResponse
from emulator.testdouble import api
from tests.testdouble.appsupport import make_client, post_invoke
from tests.testdouble.support import text_body

# A worker process that submits one task which finishes only when `release` exists, then writes `done`.
PEER = """
import sys, time
from pathlib import Path
from emulator.after_response import AfterResponse
shared, release, done = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
after = AfterResponse(str(shared))
def task():
    while not release.exists():
        time.sleep(0.01)
    done.write_text("written")
after.submit(task)
print("submitted", flush=True)
after.settle(timeout=60)
time.sleep(60)
"""


def test_tasks_run_in_order_and_settle_waits_for_them() -> None:
    after, seen = AfterResponse(), []
    for index in range(50):
        after.submit(lambda index=index: (time.sleep(0.001), seen.append(index)))
    assert after.settle(timeout=10)
    assert seen == list(range(50))


def test_a_failing_task_is_logged_and_later_ones_still_run(caplog: pytest.LogCaptureFixture) -> None:
    after, seen = AfterResponse(), []
    with caplog.at_level(logging.ERROR, logger="nova_canvas_emulator"):
        after.submit(lambda: 1 / 0)
        after.submit(lambda: seen.append("later"))
        assert after.settle(timeout=10)
    assert seen == ["later"]
    assert "work after a response failed" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_settle_times_out_while_a_task_is_still_running() -> None:
    after, release = AfterResponse(), threading.Event()
    after.submit(lambda: release.wait(10))
    assert not after.settle(timeout=0.05)
    release.set()
    assert after.settle(timeout=10)


def test_settle_with_nothing_submitted_returns_at_once(tmp_path: Path) -> None:
    assert AfterResponse().settle(timeout=0)
    assert AfterResponse(str(tmp_path / "pending")).settle(timeout=0)  # no directory yet


def test_settle_waits_for_another_worker_process(tmp_path: Path) -> None:
    shared, release, done = tmp_path / "pending", tmp_path / "release", tmp_path / "done"
    peer = subprocess.Popen(
        [sys.executable, "-c", PEER, str(shared), str(release), str(done)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        assert peer.stdout is not None and peer.stdout.readline().strip() == "submitted"
        reader = AfterResponse(str(shared))
        assert not reader.settle(timeout=0.05)  # the peer's write is pending
        with ThreadPoolExecutor(1) as pool:
            settled = pool.submit(reader.settle, 30)
            release.touch()
            assert settled.result(timeout=30)
        assert done.read_text() == "written"  # settle returned only once the peer's task had finished
    finally:
        peer.kill()
        peer.communicate(timeout=10)  # reaps it and closes its stdout


def test_a_dead_worker_with_writes_pending_is_skipped(tmp_path: Path) -> None:
    shared = tmp_path / "pending"
    shared.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    slot = shared / dead.stdout.decode().strip()
    slot.write_bytes((3).to_bytes(8, "little"))  # it died with three writes pending
    assert AfterResponse(str(shared)).settle(timeout=10)
    assert not slot.exists()


def test_foreign_files_in_the_directory_are_ignored(tmp_path: Path) -> None:
    shared = tmp_path / "pending"
    shared.mkdir()
    (shared / "notes.txt").write_text("not a worker")
    (shared / str(os.getpid() + 1_000_000)).write_bytes(b"")  # too short to hold a count
    assert AfterResponse(str(shared)).settle(timeout=1)


@pytest.fixture
def held_journal(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[FlaskClient, threading.Event]]:
    """An emulator whose journal writes wait until the event is set."""
    client = make_client()
    store = client.application.extensions[api.EXTENSION]["store"]
    release, record = threading.Event(), store.record

    def held_record(columns: object, entry: object) -> int:
        assert release.wait(30)
        return record(columns, entry)

    monkeypatch.setattr(store, "record", held_record)
    yield client, release
    release.set()


def test_the_response_does_not_wait_for_its_journal_entry_but_journal_reads_do(
    held_journal: tuple[FlaskClient, threading.Event],
) -> None:
    client, release = held_journal
    response = post_invoke(client, text_body())  # returns although the journal write is held back
    assert response.status_code == 200
    with ThreadPoolExecutor(1) as pool:
        journal = pool.submit(lambda: client.application.test_client().get("/_emulator/journal"))
        time.sleep(0.2)
        assert not journal.done(), "a journal read must wait for writes of responses already sent"
        release.set()
        entries = json.loads(journal.result(timeout=30).data)["entries"]
    assert [e["request_id"] for e in entries] == [response.headers["x-amzn-RequestId"]]


def test_reset_waits_for_pending_journal_writes(held_journal: tuple[FlaskClient, threading.Event]) -> None:
    client, release = held_journal
    assert post_invoke(client, text_body()).status_code == 200
    threading.Timer(0.1, release.set).start()
    assert client.post("/_emulator/reset", content_type="application/json").status_code == 200
    assert json.loads(client.get("/_emulator/journal").data)["entries"] == []  # not written after the reset


def test_submit_waits_while_too_many_tasks_are_pending(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("emulator.after_response.MAX_PENDING", 3)
    after, release, seen = AfterResponse(), threading.Event(), []
    for index in range(3):
        after.submit(lambda index=index: (release.wait(30), seen.append(index)))
    with ThreadPoolExecutor(1) as pool:
        fourth = pool.submit(after.submit, lambda: seen.append(3))
        time.sleep(0.1)
        assert not fourth.done(), "the fourth task must wait for room in the queue"
        release.set()
        fourth.result(timeout=30)
    assert after.settle(timeout=30)
    assert seen == [0, 1, 2, 3]


def test_an_idle_writer_thread_ends_and_a_new_task_starts_another(monkeypatch: pytest.MonkeyPatch) -> None:
    """An app that is gone (tests build many) leaves no thread behind."""
    monkeypatch.setattr("emulator.after_response.IDLE_EXIT_S", 0.5)
    after, seen = AfterResponse(), []

    def writers() -> set[threading.Thread]:
        return {thread for thread in threading.enumerate() if thread.name == "after-response"}

    others = writers()
    after.submit(lambda: seen.append(1))
    assert after.settle(timeout=10)
    (ours,) = writers() - others
    ours.join(timeout=10)
    assert not ours.is_alive()
    after.submit(lambda: seen.append(2))
    assert after.settle(timeout=10)
    assert seen == [1, 2]
