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
