"""Token buckets per key (client, address, username) on the token and sign-in endpoints.

The buckets live in the auth store (`AuthStore.take_token`), which every server process shares: with
`--workers N` a client gets the configured rate, not N times it. Each take is one atomic SQLite
statement (an UPSERT whose WHERE refuses an empty bucket), so concurrent processes never both take the
last token. Time is the wall clock (`time.time`), the one clock all processes agree on. Without a
shared store (tests), an in-process table does the same arithmetic.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

_MAX_KEYS = 50_000


class Buckets(Protocol):
    def take_token(self, key: str, rate_per_second: float, burst: float, now: float) -> bool:
        """Refills `key`'s bucket for the time since its last take (up to `burst`) and takes one token;
        False, and nothing taken, when less than one is left."""
        ...


class LocalBuckets:
    """The buckets of one process (a store of its own: `memory://`, unit tests)."""

    def __init__(self) -> None:
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take_token(self, key: str, rate_per_second: float, burst: float, now: float) -> bool:
        with self._lock:
            tokens, last = self._buckets.get(key, (burst, now))
            tokens = min(burst, tokens + max(0.0, now - last) * rate_per_second)
            if len(self._buckets) >= _MAX_KEYS:
                self._forget_full(now, rate_per_second, burst)
            if tokens < 1.0:
                self._buckets[key] = (tokens, now)
                return False
            self._buckets[key] = (tokens - 1.0, now)
            return True

    def _forget_full(self, now: float, rate: float, burst: float) -> None:
        full = [k for k, (t, last) in self._buckets.items() if t + (now - last) * rate >= burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= _MAX_KEYS:  # still crowded: start over rather than grow without bound
            self._buckets.clear()


class RateLimiter:
    def __init__(
        self,
        per_minute: float,
        burst: int,
        clock: Callable[[], float] = time.time,
        *,
        buckets: Buckets | None = None,
        name: str = "limit",
    ) -> None:
        self._rate = per_minute / 60.0
        self._burst = float(burst)
        self._clock = clock
        self._buckets = buckets if buckets is not None else LocalBuckets()
        self._name = name  # keys are namespaced: the token and sign-in limits share one table

    def allow(self, key: str) -> bool:
        """Takes one token from `key`'s bucket; False when it is empty."""
        return self._buckets.take_token(f"{self._name}:{key}", self._rate, self._burst, self._clock())

    def retry_after(self) -> int:
        return max(1, round(1.0 / self._rate)) if self._rate > 0 else 60
