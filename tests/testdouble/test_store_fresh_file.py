"""Workers opening a fresh state file at the same moment (every server start removes the old one) all get a
working store: switching a new file to WAL mode must not fail with "database is locked"."""

from __future__ import annotations

import multiprocessing
import traceback
from pathlib import Path
from typing import Any

from emulator.config import EmulatorConfig
from emulator.testdouble.store import Store

PAIRS = 60  # about 3% of openings failed before the retry, so 120 openings catch it almost surely


def _open_store(path: str, barrier: Any, results: Any) -> None:
    settings = EmulatorConfig.from_mapping({"state_path": path}).testdouble
    barrier.wait()
    try:
        Store(settings).snapshot()
        results.put("")
    except Exception:
        results.put(traceback.format_exc())


def test_two_workers_open_a_new_state_file_at_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("fork")
    failures: list[str] = []
    for pair in range(PAIRS):
        path = str(tmp_path / f"state-{pair}.sqlite3")
        barrier, results = context.Barrier(2), context.Queue()
        workers = [context.Process(target=_open_store, args=(path, barrier, results)) for _ in range(2)]
        for worker in workers:
            worker.start()
        outcomes = [results.get(timeout=60) for _ in workers]
        for worker in workers:
            worker.join(60)
        failures += [outcome for outcome in outcomes if outcome]
    assert failures == [], failures[0]
