from __future__ import annotations

from pathlib import Path

import pytest

import auth.ratelimit as module
from auth.ratelimit import LocalBuckets, RateLimiter
from auth.store.sqlite import SqliteAuthStore


class Clock:
    now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _burst_then_steady_rate(limiter: RateLimiter, clock: Clock) -> None:
    assert [limiter.allow("ip:1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("ip:2")  # buckets are per key
    clock.now += 1.0  # one token per second comes back
    assert limiter.allow("ip:1")
    assert not limiter.allow("ip:1")
    clock.now += 100.0  # never more than the burst
    assert [limiter.allow("ip:1") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after() == 1


def test_a_burst_then_the_steady_rate_in_process() -> None:
    clock = Clock()
    _burst_then_steady_rate(RateLimiter(per_minute=60, burst=3, clock=clock), clock)


def test_a_burst_then_the_steady_rate_in_the_store() -> None:
    clock = Clock()
    store = SqliteAuthStore(":memory:")
    _burst_then_steady_rate(RateLimiter(per_minute=60, burst=3, clock=clock, buckets=store), clock)


def test_two_processes_share_one_limit(tmp_path: Path) -> None:
    """Two store handles on one file, as two `--workers` processes have: the limit is the configured one,
    not twice it, and a refill seen by one is seen by the other."""
    path = str(tmp_path / "auth.sqlite3")
    clock = Clock()
    first = RateLimiter(per_minute=60, burst=4, clock=clock, buckets=SqliteAuthStore(path), name="token")
    second = RateLimiter(per_minute=60, burst=4, clock=clock, buckets=SqliteAuthStore(path), name="token")
    taken = [limiter.allow("client:emr") for _ in range(3) for limiter in (first, second)]
    assert taken == [True, True, True, True, False, False]
    clock.now += 1.0
    assert second.allow("client:emr") and not first.allow("client:emr")
    login = RateLimiter(per_minute=60, burst=4, clock=clock, buckets=SqliteAuthStore(path), name="login")
    assert login.allow("client:emr")  # another limit's bucket of the same key


def test_idle_buckets_are_purged(tmp_path: Path) -> None:
    store = SqliteAuthStore(str(tmp_path / "auth.sqlite3"))
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=1, clock=clock, buckets=store)
    assert limiter.allow("ip:1") and not limiter.allow("ip:1")
    store.purge(int(clock.now) + 3601)
    assert store._db.execute("SELECT count(*) FROM rate_bucket").fetchone() == (0,)


def test_the_local_key_table_stays_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(module, "_MAX_KEYS", 10)
    buckets = LocalBuckets()
    limiter = RateLimiter(per_minute=60, burst=2, clock=Clock(), buckets=buckets)
    for i in range(100):
        limiter.allow(f"ip:{i}")
    assert len(buckets._buckets) <= 10


def _take_many(path: str, start: float, count: int) -> int:
    """In another process: `count` takes from one bucket (burst 20, no refill to speak of)."""
    limiter = RateLimiter(per_minute=0.001, burst=20, clock=lambda: start, buckets=SqliteAuthStore(path))
    return sum(limiter.allow("ip:203.0.113.9") for _ in range(count))


def test_two_real_processes_racing_take_exactly_the_burst(tmp_path: Path) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    path = str(tmp_path / "auth.sqlite3")
    SqliteAuthStore(path).close()  # the schema, before the racers open it
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        allowed = list(pool.map(_take_many, [path, path], [Clock.now, Clock.now], [15, 15]))
    assert sum(allowed) == 20  # per-process buckets would have let 15 + 15 through
