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


def shifted_clock(start: datetime, anchor: datetime | None = None, wall: Clock = utc_now) -> Clock:
    """A clock that reads `start` when `wall` reads `anchor` (default: now) and runs on from
    there at the pace of `wall`: a demo or a replay as of another day. Processes given the
    same anchor agree, also across restarts."""
    offset = start - (anchor or wall())
    return lambda: wall() + offset
