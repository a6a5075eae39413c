"""A small in-process token bucket per key (client or address). Each server process keeps its own
buckets: with N workers the effective limit is N times higher, which is acceptable against guessing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

_MAX_KEYS = 50_000


class RateLimiter:
    def __init__(self, per_minute: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def allow(self, key: str) -> bool:
        """Takes one token from `key`'s bucket; False when it is empty."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if len(self._buckets) >= _MAX_KEYS:
                self._forget_full(now)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def retry_after(self) -> int:
        return max(1, round(1.0 / self._rate)) if self._rate > 0 else 60

    def _forget_full(self, now: float) -> None:
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * self._rate >= self._burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_KEYS:  # still crowded: start over rather than grow without bound
            self._buckets.clear()
