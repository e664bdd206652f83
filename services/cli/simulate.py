"""`cfamon simulate`: realistic field projects reporting over Kafka and HTTP, at a chosen rate
over a chosen simulated period; `--follow` keeps them reporting afterwards."""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from collections import Counter
from contextlib import AsyncExitStack
from datetime import date, timedelta
from typing import Annotated

import httpx
import typer
from rich.table import Table

from services.cli.common import fail, out, settings_or_exit, short_error
from services.cli.importer import progress_bar
from services.simulator.projects import PROJECTS
from services.simulator.registration import register
from services.simulator.send import Sender
from services.simulator.timeline import SimEvent, Timeline, live_activity
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.kafka import client_options, ensure_topics, new_broker
from shared.adapters.mongo import connect
from shared.adapters.registry import ProjectRegistry
from shared.clock import Clock
from shared.domain.catalog import IMPLEMENTATION_START
from shared.settings import CommonSettings
from shared.trust import ServiceKeys


async def _paced(sender: Sender, events: list[SimEvent], rate: float) -> Counter[str]:
    """Send at `rate` events per second (in slices of a tenth of a second), with a progress bar."""
    counts: Counter[str] = Counter()
    step = max(1, int(rate / 10))
    started = time.monotonic()
    with progress_bar() as progress:
        task = progress.add_task("simulating", total=len(events))
        for start in range(0, len(events), step):
            chunk = events[start : start + step]
            counts += await sender.send(chunk)
            progress.advance(task, len(chunk))
            ahead = started + (start + len(chunk)) / rate - time.monotonic()
            if ahead > 0:
                await asyncio.sleep(ahead)
    return counts


async def _simulate(
    settings: CommonSettings,
    first: date,
    last: date,
    rate: float,
    seed: int,
    intake_url: str | None,
    follow_every: float | None,
) -> Counter[str]:
    await ensure_topics(
        settings.kafka_bootstrap_servers,
        settings.topics.all(),
        settings.topic_partitions,
        **client_options(settings),
    )
    async with AsyncExitStack() as stack:
        mongo = connect(settings.mongodb_url)
        stack.push_async_callback(mongo.close)
        db = mongo[settings.mongodb_db]
        framework = await FrameworkSource(db, settings.results_framework).current()
        broker = await stack.enter_async_context(new_broker(settings, "cfamon-simulate"))
        registry = ProjectRegistry(db)
        keys = ServiceKeys(db)
        await keys.load(ServiceKeys.SECRETARIAT)
        secretariat = keys[ServiceKeys.SECRETARIAT]
        credentials = {
            p.project_id: await register(
                p, registry, broker, settings.topics.raw, settings.clock(), secretariat
            )
            for p in PROJECTS
        }
        http = (
            await stack.enter_async_context(httpx.AsyncClient(base_url=intake_url, timeout=30))
            if intake_url
            else None
        )
        sender = Sender(broker, settings.topics.raw, http, credentials)
        run_tag = uuid.uuid4().hex[:8]
        events = Timeline(framework, first, last, seed, run_tag).build(PROJECTS)
        counts = await _paced(sender, events, rate)
        _report(counts, len(PROJECTS), first, last)
        if follow_every is not None:
            await _follow(sender, run_tag, seed, follow_every, settings.clock())
    return counts


async def _follow(sender: Sender, run_tag: str, seed: int, every: float, clock: Clock) -> None:
    """Every `every` seconds, one project still reporting reports an activity of today."""
    rng = random.Random(seed)
    out.print(f"following: an activity every {every:g} s (Ctrl-C stops)")
    for number in range(1, 10**9):
        event = live_activity(PROJECTS, clock(), rng, f"{run_tag}-live-{number}")
        if event is not None:
            await sender.send([event])
        await asyncio.sleep(every)


def _report(counts: Counter[str], projects: int, first: date, last: date) -> None:
    table = Table(title=f"{projects} simulated projects, {first}..{last}")
    table.add_column("outcome")
    table.add_column("events", justify="right")
    for outcome, count in sorted(counts.items()):
        table.add_row(outcome, str(count))
    out.print(table)
    out.print("Events over Kafka are checked by intake; flawed ones on purpose end in bp.events.dlq.")


def simulate(
    rate: Annotated[float, typer.Option(help="Events per second")] = 200.0,
    start: Annotated[
        str, typer.Option(help="First simulated day (YYYY-MM-DD)")
    ] = IMPLEMENTATION_START.isoformat(),
    until: Annotated[str | None, typer.Option(help="Last simulated day (default: yesterday)")] = None,
    seed: Annotated[int, typer.Option(help="Same seed, same reports (event ids differ per run)")] = 2025,
    intake_url: Annotated[
        str | None,
        typer.Option(help="intake's URL: projects that report over HTTP use it (default: all Kafka)"),
    ] = None,
    follow: Annotated[bool, typer.Option(help="Keep reporting after the simulated period")] = False,
    follow_every: Annotated[float, typer.Option(help="Seconds between reports when following")] = 5.0,
) -> None:
    """Simulate the field projects: registrations, activities, measurements, milestones, some
    corrections and a few flawed reports, over Kafka and over HTTP."""
    settings = settings_or_exit(CommonSettings)
    logging.disable(logging.ERROR)
    try:
        first = date.fromisoformat(start)
        last = date.fromisoformat(until) if until else settings.clock()().date() - timedelta(days=1)
    except ValueError as error:
        fail(f"bad --start or --until: {error}")
    if rate <= 0:
        fail("bad --rate: must be above 0")
    if last < first:
        fail(f"bad --until: {last} is before --start {first}")
    try:
        asyncio.run(
            _simulate(settings, first, last, rate, seed, intake_url, follow_every if follow else None)
        )
    except KeyboardInterrupt:
        out.print("simulation stopped")
    except Exception as error:
        fail(f"simulation stopped: {short_error(error)}")
