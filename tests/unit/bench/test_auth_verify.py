from __future__ import annotations

from bench.auth_verify import measure


def test_the_benchmark_runs_on_a_few_tokens() -> None:
    first, cached = measure("RS256", 3)
    assert first > 0
    assert cached > 0
