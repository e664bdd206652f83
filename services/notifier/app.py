"""create_app(settings) -> the notifier service. A skeleton for now: it runs, connects and
answers health; the alert rules, lifecycle and channels come with issue 6."""

from __future__ import annotations

from fastapi import FastAPI

from services.notifier.settings import NotifierSettings
from shared.kafka import new_broker
from shared.mongo import connect
from shared.service import create_service_app


def create_app(settings: NotifierSettings) -> FastAPI:
    broker = new_broker(settings, "notifier")
    mongo = connect(settings.mongodb_url)
    return create_service_app("notifier", settings, broker, mongo)
