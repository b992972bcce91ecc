"""The soak, CI-sized: six concurrent clients (httpx HTTP/1.1, httpx h2c, boto3) for 20 s on mixed
tasks against `--workers 2`; zero errors, and every answer byte-identical to the same request made alone.
The long run is `bench/soak.py` (results in docs/RELIABILITY.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from tests.support.server import ROOT


def _soak_module():
    spec = importlib.util.spec_from_file_location("bench_soak", ROOT / "bench" / "soak.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_soak"] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_soak_two_workers(tmp_path: Path) -> None:
    soak = _soak_module()
    summary = soak.soak(tmp_path, duration=20, workers=2, clients={"httpx": 3, "h2": 1, "boto3": 2})
    print(summary)
    assert summary["errors"] == 0, summary["error_samples"]
    assert summary["threads_stuck"] == 0
    assert summary["server_alive_after"]
    assert all(count > 0 for count in summary["per_client"].values()), summary["per_client"]
    assert summary["requests"] >= 50, summary
    # Every call journaled exactly once across both workers (SQLite shared by the worker processes).
    assert summary["journal_last_id"] == summary["requests"], summary
    assert summary["journal_total"] == min(summary["requests"], 10_000)
    # Which worker accepts a connection is the kernel's choice: one journal whichever worker served.
    assert summary["journal_workers"] in (1, 2)
    assert summary["journal_statuses"] == [200, 400]
