"""create_app(settings) -> the aggregator service (wiring only)."""

from __future__ import annotations

from fastapi import FastAPI

from services.aggregator.handlers import register_handlers
from services.aggregator.settings import AggregatorSettings
from services.aggregator.store import MongoEventStore
from shared.clock import Clock, utc_now
from shared.kafka import new_broker
from shared.mongo import connect
from shared.service import create_service_app


def create_app(settings: AggregatorSettings, clock: Clock = utc_now) -> FastAPI:
    broker = new_broker(settings, "aggregator")
    mongo = connect(settings.mongodb_url)
    store = MongoEventStore(mongo[settings.mongodb_db])
    register_handlers(broker, settings, store, clock)
    return create_service_app("aggregator", settings, broker, mongo, on_start=store.prepare)
