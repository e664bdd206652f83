"""create_app(settings) -> the aggregator service (wiring only)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import partial

from fastapi import FastAPI

from services.aggregator.alerts import firing_alerts
from services.aggregator.api import create_router
from services.aggregator.dashboard import create_dashboard
from services.aggregator.handlers import register_handlers
from services.aggregator.metrics import AggregatorMetrics
from services.aggregator.progress import ProgressChange, ProgressTracker
from services.aggregator.settings import AggregatorSettings
from services.aggregator.store import MongoEventStore, MongoReadModelStore
from shared.adapters.asyncapi import declare_publisher
from shared.adapters.dlq import DLQ_DESCRIPTION
from shared.adapters.eventlog import follow_event_log
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.kafka import client_options, new_broker
from shared.adapters.knownat import KnownAt
from shared.adapters.metrics import ServiceMetrics
from shared.adapters.mongo import connect
from shared.adapters.rejections import MongoRejectionStore
from shared.adapters.service import create_service_app
from shared.adapters.translations_store import Translations
from shared.clock import Clock
from shared.domain.framework import load_framework
from shared.domain.liveview import LiveView
from shared.trust import ServiceKeys


def create_app(settings: AggregatorSettings, clock: Clock | None = None) -> FastAPI:
    """The aggregator service; `clock` (tests) stands in for the settings' clock (CFA_CLOCK_START)."""
    clock = clock or settings.clock()
    metrics = ServiceMetrics("aggregator", settings.kafka_bootstrap_servers, client_options(settings))
    broker = new_broker(settings, "aggregator", metrics)
    mongo = connect(settings.mongodb_url)
    db = mongo[settings.mongodb_db]
    store, snapshots = MongoEventStore(db, writer=uuid.uuid4().hex), MongoReadModelStore(db)
    frameworks = FrameworkSource(db, settings.results_framework)
    translations = Translations(db)
    view = LiveView(load_framework(settings.results_framework), settings.thresholds, settings.figures)

    progress_out = declare_publisher(
        broker,
        settings.topics.progress,
        "A priority's or an action point's status changed; key = the subject (priority:3, action_point:3.1)",
        ProgressChange,
    )

    async def publish(change: ProgressChange) -> None:
        await progress_out.publish(
            change.model_dump_json().encode(),
            key=change.subject.encode(),
            headers={"content-type": "application/json"},
        )

    progress = ProgressTracker(
        view,
        snapshots,
        publish,
        clock,
        settings.progress_min_interval_seconds,
        settings.progress_refresh_seconds,
    )
    view.on_change(progress.mark_dirty)
    counts = AggregatorMetrics(metrics, settings, view, clock)
    keys = ServiceKeys(db)
    rejections = MongoRejectionStore(db)
    register_handlers(broker, settings, store, view, clock, keys, counts, rejections)
    declare_publisher(broker, settings.topics.dlq, DLQ_DESCRIPTION)

    async def prepare() -> None:
        await keys.load(ServiceKeys.INTAKE)
        await snapshots.prepare()
        view.set_framework(await frameworks.current())
        await translations.refresh(view.framework)
        await progress.start()

    async def follow_log() -> None:
        await follow_event_log(snapshots, view, own_writer=store.writer)

    async def follow_framework() -> None:
        await frameworks.follow(view.set_framework, settings.config_refresh_seconds)

    async def follow_translations() -> None:
        await translations.follow(lambda: view.framework, settings.config_refresh_seconds)

    app = create_service_app(
        "aggregator",
        settings,
        broker,
        mongo,
        on_start=prepare,
        background=[follow_log, follow_framework, follow_translations, progress.run],
        not_ready=lambda: {} if view.ready.is_set() else {"read_model": "loading the event log"},
        metrics=metrics,
    )
    # Past moments: one cache for the API and the pages.
    settle = timedelta(seconds=settings.known_at_settle_seconds)
    known = KnownAt(snapshots, view.receipts, clock=clock, settle=settle)
    app.include_router(
        create_router(settings, view, snapshots, known, clock, partial(firing_alerts, db), translations)
    )
    app.include_router(create_dashboard(settings, db, view, known, clock, translations))
    return app
