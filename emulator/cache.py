"""A bounded, thread-safe LRU cache, and the body digest the pipeline keys its caches with.

The emulator's caches and their sizes are in `emulator.state`; the journal page keeps its thumbnails in one.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


def body_digest(body: bytes) -> bytes:
    """A 32-byte digest of the raw body: keys stay small even for 25 MB bodies."""
    return hashlib.blake2b(body, digest_size=32).digest()


class LRUCache(Generic[V]):
    """At most `max_entries` values and `max_bytes` of their total size; least recently used goes first."""

    def __init__(self, max_entries: int, max_bytes: int, size_of: Callable[[V], int]) -> None:
        self._max_entries = max_entries
        self._max_bytes = max_bytes
        self._size_of = size_of
        self._items: OrderedDict[Hashable, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> V | None:
        """The cached value, marked most recently used, or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Hashable, value: V) -> None:
        """Store a value unless the cache is disabled or the value alone exceeds the byte budget."""
        size = self._size_of(value)
        if self._max_entries <= 0 or size > self._max_bytes:
            return
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self._max_entries or self._bytes > self._max_bytes:
                _, (_, evicted) = self._items.popitem(last=False)
                self._bytes -= evicted

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
