"""Running services in-process against the real stack, and waiting on conditions (never on time)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def running(*apps: FastAPI) -> AsyncIterator[None]:
    """Each app's lifespan (topics, database, broker) entered in turn and left in reverse."""
    async with _nested(list(apps)):
        yield


@asynccontextmanager
async def _nested(apps: list[FastAPI]) -> AsyncIterator[None]:
    if not apps:
        yield
        return
    async with apps[0].router.lifespan_context(apps[0]), _nested(apps[1:]):
        yield


async def eventually(
    condition: Callable[[], Awaitable[bool]], timeout: float = 60.0, what: str = "condition"
) -> None:
    """Poll `condition` until it holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"not reached within {timeout:.0f} s: {what}")
        await asyncio.sleep(0.1)
