"""Rates per caller (a token bucket each), so one project, or one address without a valid
credential, cannot crowd out the others; a request costs what it carries (events)."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_TRACKED = 10_000


@dataclass
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """`rate` units per second on average, bursts of up to `burst`; per replica. At most
    MAX_TRACKED callers are remembered: a new one beyond that evicts the least recently seen
    (constant time, so a flood of new addresses costs nothing more per request)."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    def wait_needed(self, caller: str, cost: float = 1.0, take: bool = True) -> float:
        """0 when `cost` units may go ahead (and are counted, unless not `take`), else the
        seconds until they may (always more than 0: more than a burst never passes)."""
        now = self._clock()
        bucket = self._buckets.get(caller)
        if bucket is None:
            if len(self._buckets) >= MAX_TRACKED:
                self._buckets.popitem(last=False)
            bucket = self._buckets[caller] = _Bucket(self._burst, now)
        else:
            self._buckets.move_to_end(caller)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.tokens >= cost:
            if take:
                bucket.tokens -= cost
            return 0.0
        return (cost - bucket.tokens) / self._rate
