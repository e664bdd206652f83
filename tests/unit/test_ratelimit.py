"""The per-token rate: a burst, then one request per 1/rate seconds, per caller."""

from __future__ import annotations

from services.intake.ratelimit import MAX_TRACKED, RateLimiter


class Ticks:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_then_the_steady_rate_per_caller() -> None:
    clock = Ticks()
    limiter = RateLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.wait_needed("a") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.wait_needed("a") == 0.5
    assert limiter.wait_needed("b") == 0.0  # another token has its own bucket
    clock.now = 0.5
    assert limiter.wait_needed("a") == 0.0
    assert limiter.wait_needed("a") == 0.5


def test_beyond_the_tracked_callers_the_least_recently_seen_is_forgotten() -> None:
    clock = Ticks()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock)
    for n in range(MAX_TRACKED):
        limiter.wait_needed(f"k{n}")
    assert limiter.wait_needed("k0") == 1.0  # seen again: now the most recent
    limiter.wait_needed("new")
    assert len(limiter._buckets) == MAX_TRACKED
    assert "k1" not in limiter._buckets and "k0" in limiter._buckets


def test_a_request_costs_what_it_carries_and_more_than_a_burst_never_passes() -> None:
    clock = Ticks()
    limiter = RateLimiter(rate=2.0, burst=4, clock=clock)
    assert limiter.wait_needed("a", cost=5) == 0.5  # over the burst: refused, never free
    assert limiter.wait_needed("a", cost=3, take=False) == 0.0  # looking takes nothing
    assert limiter.wait_needed("a", cost=3) == 0.0
    assert limiter.wait_needed("a", cost=2) == 0.5  # one unit left, two wanted
    clock.now = 0.5
    assert limiter.wait_needed("a", cost=2) == 0.0
