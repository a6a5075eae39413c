from __future__ import annotations

from auth.ratelimit import RateLimiter


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_steady_rate() -> None:
    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=3, clock=clock)
    assert [limiter.allow("ip:1") for _ in range(4)] == [True, True, True, False]
    assert limiter.allow("ip:2")  # buckets are per key
    clock.now = 1.0  # one token per second comes back
    assert limiter.allow("ip:1")
    assert not limiter.allow("ip:1")
    clock.now = 100.0  # never more than the burst
    assert [limiter.allow("ip:1") for _ in range(4)] == [True, True, True, False]
    assert limiter.retry_after() == 1


def test_the_key_table_stays_bounded(monkeypatch: object) -> None:
    import auth.ratelimit as module

    clock = Clock()
    limiter = RateLimiter(per_minute=60, burst=2, clock=clock)
    setattr(module, "_MAX_KEYS", 10)  # noqa: B010
    try:
        for i in range(100):
            limiter.allow(f"ip:{i}")
        assert len(limiter._buckets) <= 10
    finally:
        setattr(module, "_MAX_KEYS", 50_000)  # noqa: B010
