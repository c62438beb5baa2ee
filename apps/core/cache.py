"""A small per-process LRU map, optionally with a time-to-live per entry.

Only for what a process can always re-read from the database: a cold or
dropped entry costs a query, never correctness. Each user documents its own
staleness bound (``apps.keystores.cache``, ``apps.oauth.clients``)."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any


def clock() -> float:
    """Monotonic seconds; tests patch this to move time without sleeping."""
    return time.monotonic()


class BoundedCache:
    """A small thread-safe LRU map, optionally with a time-to-live per entry."""

    def __init__(self, *, max_entries: int, ttl_seconds: float | None = None) -> None:
        self.max_entries = max_entries
        self.ttl_seconds = ttl_seconds
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> Any | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            expires, value = entry
            if self.ttl_seconds is not None and clock() >= expires:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value: Any) -> None:
        expires = clock() + self.ttl_seconds if self.ttl_seconds is not None else 0.0
        with self._lock:
            self._entries[key] = (expires, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
