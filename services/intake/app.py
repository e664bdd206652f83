"""create_app(settings) -> the intake service (wiring only)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake.api import HttpIntake, create_router
from services.intake.callers import Callers
from services.intake.feedback import ReviewFeedback
from services.intake.handlers import register_handlers
from services.intake.metrics import CountedRejections, IntakeMetrics
from services.intake.settings import IntakeSettings
from services.intake.store import mongo_pipeline
from services.intake.submission import Submissions
from shared.adapters.asyncapi import declare_publisher
from shared.adapters.bodylimit import LimitFor
from shared.adapters.dlq import DLQ_DESCRIPTION
from shared.adapters.eventlog import EventLog
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.kafka import client_options, new_broker
from shared.adapters.metrics import ServiceMetrics
from shared.adapters.mongo import connect
from shared.adapters.registry import ProjectRegistry
from shared.adapters.rejections import MongoRejectionStore
from shared.adapters.service import create_service_app
from shared.clock import Clock
from shared.domain.framework import ResultsFramework, load_framework
from shared.trust import ServiceKeys


def create_app(settings: IntakeSettings, clock: Clock | None = None) -> FastAPI:
    """The intake service; `clock` (tests) stands in for the settings' clock (CFA_CLOCK_START)."""
    clock = clock or settings.clock()
    metrics = ServiceMetrics("intake", settings.kafka_bootstrap_servers, client_options(settings))
    counts = IntakeMetrics(metrics, settings)
    broker = new_broker(settings, "intake", metrics)
    mongo = connect(settings.mongodb_url)
    db = mongo[settings.mongodb_db]
    registry = ProjectRegistry(db)
    frameworks = FrameworkSource(db, settings.results_framework)
    known = KnownIndicators(load_framework(settings.results_framework))
    rejection_store = MongoRejectionStore(db)
    rejections = CountedRejections(rejection_store, counts)
    keys = ServiceKeys(db)
    pipeline = mongo_pipeline(settings, db, clock, keys, known.ids)
    register_handlers(broker, settings, pipeline, rejections, clock, keys, counts)
    declare_publisher(broker, settings.topics.dlq, DLQ_DESCRIPTION)
    submissions = Submissions(
        pipeline,
        broker,
        settings.topics,
        rejections,
        clock,
        timedelta(seconds=settings.publish_timeout_seconds),
        keys,
    )
    callers = Callers(registry, settings)

    async def prepare() -> None:
        await keys.load(ServiceKeys.INTAKE, ServiceKeys.SECRETARIAT)
        await registry.prepare()
        await rejection_store.prepare()
        known.update(await frameworks.current())

    async def follow_framework() -> None:
        await frameworks.follow(known.update, settings.config_refresh_seconds)

    app = create_service_app(
        "intake",
        settings,
        broker,
        mongo,
        on_start=prepare,
        background=[follow_framework],
        metrics=metrics,
        body_limits=event_body_limits(settings),
        every_operation=(429,),  # each request pays into its token's or its address's rate
    )
    feedback = ReviewFeedback(EventLog(db), lambda: known.action_point_of)
    http = HttpIntake(settings, submissions, callers)
    app.include_router(create_router(http, callers, rejection_store, feedback))
    return app


def event_body_limits(settings: IntakeSettings) -> LimitFor:
    """The event routes stop reading at their own limits (CFA_MAX_EVENT_BYTES, or
    CFA_MAX_BATCH_BYTES for a batch: `read_body`); every other body at CFA_MAX_BODY_BYTES."""

    def limit(path: str) -> int | None:
        return (
            None
            if path.endswith(("/events", "/events:batch", "/events:validate"))
            else settings.max_body_bytes
        )

    return limit


class KnownIndicators:
    """The indicators of the current results framework (for `unknown_indicator`, and the
    action point a measurement counts toward)."""

    def __init__(self, framework: ResultsFramework) -> None:
        self.update(framework)

    def update(self, framework: ResultsFramework) -> None:
        self._ids = frozenset(framework.by_id)
        self.action_point_of = {i.id: i.action_point for i in framework.indicators}

    def ids(self) -> frozenset[str]:
        return self._ids
