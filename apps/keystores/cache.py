"""Per-process caches for the token hot path.

Two kinds of entries, with different safety arguments:

* **kid -> parsed private / public JWK**: a kid is the thumbprint of its key and
  a key row never changes its material, so these entries can never be stale.
  They are only bounded in number.
* **(root organization, protocol) -> active kid** and **kid -> "may verify"**:
  these do change (rotation, retirement). They live at most
  ``ACTIVE_KEY_TTL_SECONDS``; that is the bound within which a rotation made in
  another process takes effect here. The process that rotates drops its own
  entries when the rotation commits. A key that stops being active keeps
  verifying for its overlap period, so signing with it for a few more seconds
  is harmless (with a zero overlap, an emergency retirement, a token signed in
  that window may fail verification; re-issuing fixes it).

Nothing here is state another process needs: a cold cache only costs a query.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

# Rotation takes effect in every process within this many seconds.
ACTIVE_KEY_TTL_SECONDS = 5.0


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


# kid -> ActiveSigningKey (private JWK parsed once per process).
signing_keys = BoundedCache(max_entries=1024)
# (root organization id, protocol) -> kid of the active key.
active_kids = BoundedCache(max_entries=4096, ttl_seconds=ACTIVE_KEY_TTL_SECONDS)
# kid -> (root organization id, public JWK) while the key may verify tokens.
verification_keys = BoundedCache(max_entries=4096, ttl_seconds=ACTIVE_KEY_TTL_SECONDS)


def clear_all() -> None:
    signing_keys.clear()
    active_kids.clear()
    verification_keys.clear()
