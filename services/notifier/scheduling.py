"""When the notifier works: its evaluations (at start, on a timer, after a status change) and
its rounds (notices made due by time, requests of other replicas, the digest, the outbox).
A step that fails is logged and tried again next round."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from shared.logging import get_logger

log = get_logger("cfa.notifier")


async def evaluations(
    evaluate: Callable[[], Awaitable[Any]], period_between: timedelta, progress: asyncio.Event
) -> None:
    """Evaluate at start, every `period_between` (0: never on a timer), and soon after a
    progress change (changes coalesced for a second, while the live view catches up)."""
    period = period_between.total_seconds() or None
    while True:
        await guarded(evaluate)
        progress.clear()
        try:
            await asyncio.wait_for(progress.wait(), period)
            await asyncio.sleep(1.0)
        except TimeoutError:
            pass


async def every(seconds: float, *steps: Callable[[], Awaitable[Any]]) -> None:
    while True:
        for step in steps:
            await guarded(step)
        await asyncio.sleep(seconds)


async def guarded(step: Callable[[], Awaitable[Any]]) -> None:
    try:
        await step()
    except asyncio.CancelledError:
        raise
    except Exception as error:  # a database or broker hiccup: the next round tries again
        log.warning("notifier step failed", step=getattr(step, "__name__", "step"), error=str(error))
