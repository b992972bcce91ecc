"""A per-worker bound on the pictures being generated at once, counted in output pixels.

Drawing and encoding a picture holds several copies of it (the canvas, the blends, the encoded bytes): about
5 bytes per output pixel at the peak. One request can ask for 50 megapixels (a Stability Outpaint of a
9.4-megapixel image grown by 2,000 pixels on every side) or 21 (five 4096x1024 Nova pictures), so a few
such requests at once would take gigabytes. Generation holds the GIL for most of its time anyway, so making
requests wait for pixel budget costs them little, and it keeps a worker's memory bounded whatever clients
send at once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

#: Output pixels one worker generates at once: one maximal request, or several ordinary ones.
GENERATION_PIXEL_BUDGET = 64 * 1024 * 1024


class PixelGate:
    """Lets work proceed while the pixels it holds stay within `budget`; a request larger than the budget
    waits until it can run alone."""

    def __init__(self, budget: int = GENERATION_PIXEL_BUDGET) -> None:
        self._budget = budget
        self._in_use = 0
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        """Wait until `pixels` fit in the budget, hold them while the block runs."""
        need = max(0, min(pixels, self._budget))
        with self._changed:
            self._changed.wait_for(lambda: self._in_use + need <= self._budget)
            self._in_use += need
        try:
            yield
        finally:
            with self._changed:
                self._in_use -= need
                self._changed.notify_all()

    @property
    def in_use(self) -> int:
        """Pixels held right now."""
        with self._changed:
            return self._in_use
