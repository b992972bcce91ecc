"""The generation gate: work holding output pixels never exceeds the budget; a larger request runs alone."""

from __future__ import annotations

import threading
import time

import pytest

from emulator.gate import PixelGate


def test_holders_never_exceed_the_budget() -> None:
    gate = PixelGate(budget=100)
    seen: list[int] = []
    lock = threading.Lock()

    def work(pixels: int) -> None:
        with gate.hold(pixels):
            with lock:
                seen.append(gate.in_use)
            time.sleep(0.01)

    threads = [threading.Thread(target=work, args=(40,)) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert len(seen) == 10 and max(seen) <= 80  # two 40s fit in 100, a third waits
    assert gate.in_use == 0


def test_a_request_over_the_budget_waits_to_run_alone() -> None:
    gate = PixelGate(budget=100)
    started = threading.Event()
    alone: list[int] = []

    def small() -> None:
        with gate.hold(30):
            started.set()
            time.sleep(0.05)

    def large() -> None:
        with gate.hold(500):
            alone.append(gate.in_use)

    first = threading.Thread(target=small)
    first.start()
    started.wait(5)
    second = threading.Thread(target=large)
    second.start()
    first.join(5)
    second.join(5)
    assert alone == [100]  # held the whole budget, with nothing else running


def test_pixels_are_released_when_the_work_fails() -> None:
    gate = PixelGate(budget=100)
    with pytest.raises(RuntimeError), gate.hold(100):
        raise RuntimeError("generation failed")
    assert gate.in_use == 0
    with gate.hold(100):
        assert gate.in_use == 100
