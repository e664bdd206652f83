"""Injected time: every rule that depends on "now" takes a Clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    """A clock that always answers `at` (tests, re-evaluation as of a date)."""
    return lambda: at


def shifted_clock(start: datetime, wall: Clock = utc_now) -> Clock:
    """A clock that answers `start` now and runs on from there at the pace of `wall`
    (a demo or replay as of another day; each process starts its own, so processes started
    seconds apart differ by those seconds)."""
    offset = start - wall()
    return lambda: wall() + offset
