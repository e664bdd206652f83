"""create_app(settings) -> the notifier service (wiring only)."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from datetime import timedelta

import httpx
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from services.notifier.api import create_router
from services.notifier.channels import Channels
from services.notifier.config import load_notifier_config
from services.notifier.delivery import Deliverer
from services.notifier.evaluator import Evaluator
from services.notifier.handlers import register_handlers
from services.notifier.metrics import NotifierMetrics
from services.notifier.render import AlertMessage
from services.notifier.scheduling import evaluations, every
from services.notifier.settings import NotifierSettings
from services.notifier.smtp import SmtpSender
from services.notifier.store import NotifierStore
from shared.adapters.asyncapi import declare_publisher
from shared.adapters.eventlog import EventLog, follow_event_log
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.kafka import client_options, new_broker
from shared.adapters.knownat import KnownAt
from shared.adapters.metrics import ServiceMetrics
from shared.adapters.mongo import connect
from shared.adapters.service import create_service_app
from shared.adapters.translations_store import Translations
from shared.clock import Clock
from shared.domain.framework import load_framework
from shared.domain.liveview import LiveView


def _channels(settings: NotifierSettings, broker: KafkaBroker, http: httpx.AsyncClient) -> Channels:
    """E-mail, webhooks (over `http`) and the alerts topic, through its declared publisher."""
    smtp = SmtpSender(settings.smtp_url.get_secret_value(), settings.smtp_ca_file)
    alerts_out = declare_publisher(
        broker,
        settings.topics.alerts,
        "Each notice of an alert (firing, repeat, resolved, silence_ended); key = the alert's "
        "fingerprint; header notification-id = the outbox id, the same on a resend",
        AlertMessage,
    )
    return Channels(smtp, http, alerts_out)


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
    view = LiveView(load_framework(settings.results_framework), settings.thresholds, settings.figures)
    lease = timedelta(seconds=settings.notifier_lease_seconds)
    evaluator = Evaluator(
        view,
        store,
        config,
        settings.topics.alerts,
        clock,
        owner,
        lease,
        settings.dashboard_url,
        KnownAt(
            EventLog(db),
            view.receipts,
            clock=clock,
            settle=timedelta(seconds=settings.known_at_settle_seconds),
        ),
        Translations(db),
    )
    http = httpx.AsyncClient(timeout=10)
    channels = _channels(settings, broker, http)
    claim = timedelta(seconds=settings.notifier_claim_seconds)
    counts = NotifierMetrics(metrics, store, evaluator)
    deliverer = Deliverer(
        store, channels, clock, owner, claim, settings.notifier_send_batch, on_outcome=counts.delivery
    )
    progress_seen = asyncio.Event()
    register_handlers(broker, settings, config, progress_seen)

    async def prepare() -> None:
        await store.prepare()
        view.set_framework(await frameworks.current())

    async def follow_log() -> None:
        await follow_event_log(EventLog(db), view)

    async def follow_framework() -> None:
        await frameworks.follow(view.set_framework, settings.config_refresh_seconds)

    async def evaluate_loop() -> None:
        await view.ready.wait()
        await evaluations(evaluator.evaluate, config.evaluate_every, progress_seen)

    async def tick_loop() -> None:
        await view.ready.wait()
        await every(
            settings.notifier_tick_seconds,
            evaluator.flush,
            evaluator.answer_requests,
            evaluator.digest,
            evaluator.meeting_packs,
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
