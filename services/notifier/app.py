"""create_app(settings) -> the notifier service (wiring only)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.notifier.api import create_router
from services.notifier.channels import Channels
from services.notifier.config import NotifierConfig, load_notifier_config
from services.notifier.evaluator import Deliverer, Evaluator
from services.notifier.metrics import NotifierMetrics
from services.notifier.render import AlertMessage
from services.notifier.settings import NotifierSettings
from services.notifier.smtp import SmtpSender
from services.notifier.store import NotifierStore
from shared.asyncapi import declare_publisher
from shared.clock import Clock
from shared.eventlog import EventLog, follow_event_log
from shared.framework import load_framework
from shared.framework_store import FrameworkSource
from shared.kafka import client_options, new_broker
from shared.liveview import LiveView
from shared.logging import get_logger
from shared.metrics import ServiceMetrics
from shared.mongo import connect
from shared.service import create_service_app

log = get_logger("cfa.notifier")


def create_app(settings: NotifierSettings, clock: Clock | None = None) -> FastAPI:
    """The notifier service; `clock` (tests) stands in for the settings' clock (CFA_CLOCK_START)."""
    clock = clock or settings.clock()
    config = load_notifier_config(settings.notifier_config)
    metrics = ServiceMetrics("notifier", settings.kafka_bootstrap_servers, client_options(settings))
    broker = new_broker(settings, "notifier", metrics)
    mongo = connect(settings.mongodb_url)
    db = mongo[settings.mongodb_db]
    owner = replica_name()
    store = NotifierStore(db)
    frameworks = FrameworkSource(db, settings.results_framework)
    view = LiveView(load_framework(settings.results_framework), settings.thresholds)
    lease = timedelta(seconds=settings.notifier_lease_seconds)
    evaluator = Evaluator(
        view, store, mongo, config, settings.topics.alerts, clock, owner, lease, settings.dashboard_url
    )
    http = httpx.AsyncClient(timeout=10)
    smtp = SmtpSender(settings.smtp_url.get_secret_value(), settings.smtp_ca_file)
    channels = Channels(smtp, http, broker)
    claim = timedelta(seconds=settings.notifier_claim_seconds)
    counts = NotifierMetrics(metrics, store, evaluator)
    deliverer = Deliverer(
        store, channels, clock, owner, claim, settings.notifier_send_batch, on_outcome=counts.delivery
    )
    progress_seen = asyncio.Event()
    _subscribe_to_progress(broker, settings, config, progress_seen)
    declare_publisher(
        broker,
        settings.topics.alerts,
        "Each notice of an alert (firing, repeat, resolved, silence_ended); key = the alert's "
        "fingerprint; header notification-id = the outbox id, the same on a resend",
        AlertMessage,
    )

    async def prepare() -> None:
        await store.prepare()
        view.set_framework(await frameworks.current())

    async def follow_log() -> None:
        await follow_event_log(EventLog(db), view)

    async def follow_framework() -> None:
        await frameworks.follow(view.set_framework, settings.config_refresh_seconds)

    async def evaluate_loop() -> None:
        await view.ready.wait()
        await _evaluations(evaluator.evaluate, config, progress_seen)

    async def tick_loop() -> None:
        await view.ready.wait()
        await _every(
            settings.notifier_tick_seconds,
            evaluator.flush,
            evaluator.answer_requests,
            evaluator.digest,
            deliverer.deliver_due,
        )

    async def stop() -> None:
        await deliverer.drain(settings.shutdown_grace_seconds)
        await http.aclose()

    app = create_service_app(
        "notifier",
        settings,
        broker,
        mongo,
        on_start=prepare,
        background=[follow_log, follow_framework, evaluate_loop, tick_loop],
        not_ready=lambda: {} if view.ready.is_set() else {"read_model": "loading the event log"},
        on_stop=stop,
        metrics=metrics,
    )
    app.state.evaluator = evaluator
    app.state.deliverer = deliverer
    app.include_router(create_router(settings, store, evaluator, clock))
    return app


def replica_name() -> str:
    """Who holds a lease or a claim, readable by an operator: host, process, and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


def _subscribe_to_progress(
    broker: KafkaBroker, settings: NotifierSettings, config: NotifierConfig, seen: asyncio.Event
) -> None:
    # No consumer group: every replica hears every change (only the one holding the
    # evaluation lease acts on it), and a change made while none ran is caught at start.
    @broker.subscriber(
        settings.topics.progress,
        auto_offset_reset="latest",
        fetch_max_wait_ms=settings.kafka_fetch_max_wait_ms,
    )
    async def on_progress_change(_: bytes) -> None:
        """A status changed: evaluate soon (the change itself is re-derived from the events)."""
        if config.evaluate_on_progress:
            seen.set()


async def _evaluations(
    evaluate: Callable[[], Awaitable[Any]], config: NotifierConfig, progress: asyncio.Event
) -> None:
    """Evaluate at start, every `evaluate_every` (0: never on a timer), and soon after a
    progress change (changes coalesced for a second, while the live view catches up)."""
    period = config.evaluate_every.total_seconds() or None
    while True:
        await _guarded(evaluate)
        progress.clear()
        try:
            await asyncio.wait_for(progress.wait(), period)
            await asyncio.sleep(1.0)
        except TimeoutError:
            pass


async def _every(seconds: float, *steps: Callable[[], Awaitable[Any]]) -> None:
    while True:
        for step in steps:
            await _guarded(step)
        await asyncio.sleep(seconds)


async def _guarded(step: Callable[[], Awaitable[Any]]) -> None:
    try:
        await step()
    except asyncio.CancelledError:
        raise
    except Exception as error:  # a database or broker hiccup: the next round tries again
        log.warning("notifier step failed", step=getattr(step, "__name__", "step"), error=str(error))
