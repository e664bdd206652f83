"""create_app(settings) -> the intake service (wiring only)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI

from services.intake.handlers import register_handlers
from services.intake.pipeline import IntakePipeline
from services.intake.settings import IntakeSettings
from services.intake.store import CachedProjectDirectory, MongoSeenStore
from shared.clock import Clock, utc_now
from shared.kafka import new_broker
from shared.mongo import connect
from shared.registry import ProjectRegistry
from shared.service import create_service_app


def create_app(settings: IntakeSettings, clock: Clock = utc_now) -> FastAPI:
    broker = new_broker(settings, "intake")
    mongo = connect(settings.mongodb_url)
    db = mongo[settings.mongodb_db]
    directory = CachedProjectDirectory(
        ProjectRegistry(db), timedelta(seconds=settings.registry_cache_seconds), clock
    )
    pipeline = IntakePipeline(
        directory,
        MongoSeenStore(db, clock),
        clock,
        settings.max_event_bytes,
        timedelta(seconds=settings.max_clock_skew_seconds),
    )
    register_handlers(broker, settings, pipeline, clock)
    return create_service_app("intake", settings, broker, mongo)
