"""The per-token rate: a burst, then one request per 1/rate seconds, per caller."""

from __future__ import annotations

from services.intake.ratelimit import RateLimiter


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


def test_idle_buckets_are_forgotten_only_when_full_again() -> None:
    clock = Ticks()
    limiter = RateLimiter(rate=1.0, burst=1, clock=clock)
    limiter.wait_needed("a")
    limiter._buckets.update({f"k{i}": limiter._buckets["a"] for i in range(10_000)})
    clock.now = 100.0
    assert limiter.wait_needed("new") == 0.0
    assert set(limiter._buckets) == {"new"}
