"""Sliding-window rate limits in the shared cache (Redis in production, so every process counts together).

Each subject counts in fixed buckets of ``window`` seconds; the limit applies to the current bucket
plus the previous one weighted by how much of it still lies inside the sliding window (rounded up),
so crossing a bucket boundary never resets the count (a fixed window would allow twice the limit
around a boundary, and let a burst through at the turn of the minute)."""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Sequence

from django.core.cache import cache


def _keys(scope: str, subject: str, window: int, now: float) -> tuple[str, str, float]:
    bucket = int(now) // window
    digest = hashlib.sha256(subject.encode("utf-8")).hexdigest()[:32]
    elapsed = (now - bucket * window) / window  # how far into the current bucket, 0..1
    return f"rl:{scope}:{digest}:{bucket}", f"rl:{scope}:{digest}:{bucket - 1}", elapsed


def rate_limited(scope: str, subject: str, limit: tuple[int, int]) -> int:
    """Seconds to wait when ``subject`` already used up ``limit`` (count, window seconds), else 0. Does not count."""
    return rate_limited_any([(scope, subject, limit)])


def rate_limited_any(checks: Sequence[tuple[str, str, tuple[int, int]]]) -> int:
    """The longest wait among several ``(scope, subject, limit)`` checks, else 0, in one cache round trip
    (one ``get_many``: a Redis MGET), so a hot path pays a single cache operation however many limits apply."""
    now = time.time()
    planned = [(_keys(scope, subject, limit[1], now), limit) for scope, subject, limit in checks if subject]
    if not planned:
        return 0
    counts = cache.get_many([key for (current, previous, _e), _l in planned for key in (current, previous)])
    wait = 0
    for (current, previous, elapsed), (count, window) in planned:
        weighted = math.ceil(counts.get(previous, 0) * (1 - elapsed)) + counts.get(current, 0)
        if weighted >= count:
            wait = max(wait, max(1, math.ceil(window * (1 - elapsed))))
    return wait


def rate_count(scope: str, subject: str, limit: tuple[int, int]) -> None:
    _count, window = limit
    current, _previous, _elapsed = _keys(scope, subject, window, time.time())
    if cache.add(current, 1, timeout=2 * window + 1):  # kept while it still weighs in the next bucket
        return
    try:
        cache.incr(current)
    except ValueError:  # expired between add and incr
        cache.add(current, 1, timeout=2 * window + 1)
