"""create_app(settings) -> the intake service (wiring only)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake.api import HttpIntake, create_router
from services.intake.callers import Callers
from services.intake.handlers import register_handlers
from services.intake.metrics import CountedRejections, IntakeMetrics
from services.intake.ratelimit import RateLimiter
from services.intake.rejections import MongoRejectionStore
from services.intake.settings import IntakeSettings
from services.intake.store import mongo_pipeline
from services.intake.submission import Submissions
from shared.asyncapi import declare_publisher
from shared.clock import Clock, utc_now
from shared.dlq import DLQ_DESCRIPTION
from shared.events.envelope import Envelope
from shared.framework import ResultsFramework, load_framework
from shared.framework_store import FrameworkSource
from shared.kafka import new_broker
from shared.metrics import ServiceMetrics
from shared.mongo import connect
from shared.registry import ProjectRegistry
from shared.service import create_service_app


def create_app(settings: IntakeSettings, clock: Clock = utc_now) -> FastAPI:
    metrics = ServiceMetrics("intake", settings.kafka_bootstrap_servers)
    counts = IntakeMetrics(metrics, settings)
    broker = new_broker(settings, "intake", metrics)
    mongo = connect(settings.mongodb_url)
    db = mongo[settings.mongodb_db]
    registry = ProjectRegistry(db)
    frameworks = FrameworkSource(db, settings.results_framework)
    known = KnownIndicators(load_framework(settings.results_framework))
    rejection_store = MongoRejectionStore(db)
    rejections = CountedRejections(rejection_store, counts)
    pipeline = mongo_pipeline(settings, db, clock, known.ids)
    register_handlers(broker, settings, pipeline, rejections, clock, counts)
    declare_publisher(
        broker,
        settings.topics.validated,
        "Accepted events as structured CloudEvents (JSON); key = the project id",
        Envelope,
    )
    declare_publisher(broker, settings.topics.dlq, DLQ_DESCRIPTION)
    submissions = Submissions(
        pipeline,
        broker,
        settings.topics,
        rejections,
        clock,
        timedelta(seconds=settings.publish_timeout_seconds),
    )
    callers = Callers(registry, settings, RateLimiter(settings.rate_per_second, settings.rate_burst))

    async def prepare() -> None:
        await registry.prepare()
        await rejection_store.prepare()
        known.update(await frameworks.current())

    async def follow_framework() -> None:
        await frameworks.follow(known.update, settings.config_refresh_seconds)

    app = create_service_app(
        "intake", settings, broker, mongo, on_start=prepare, background=[follow_framework], metrics=metrics
    )
    app.include_router(create_router(HttpIntake(settings, submissions), callers, rejection_store))
    return app


class KnownIndicators:
    """The indicator ids of the current results framework (for `unknown_indicator`)."""

    def __init__(self, framework: ResultsFramework) -> None:
        self._ids = frozenset(framework.by_id)

    def update(self, framework: ResultsFramework) -> None:
        self._ids = frozenset(framework.by_id)

    def ids(self) -> frozenset[str]:
        return self._ids
