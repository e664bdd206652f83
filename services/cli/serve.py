"""`cfamon intake|aggregator|notifier`: one service under uvicorn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer
import uvicorn
from fastapi import FastAPI

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.cli.common import err, settings_or_exit
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.config import ConfigError
from services.notifier.settings import NotifierSettings
from shared.domain.framework import FrameworkError
from shared.logging import configure_logging
from shared.settings import CommonSettings

Host = Annotated[str | None, typer.Option(help="Address to listen on (CFA_HOST)")]
Port = Annotated[int | None, typer.Option(help="Port to listen on (CFA_PORT)")]


def _build(factory: Callable[[], FastAPI]) -> FastAPI:
    """The app, or one line per problem of its configuration files and a non-zero exit."""
    try:
        return factory()
    except (FrameworkError, ConfigError) as error:
        for problem in error.problems:
            err.print(f"cfamon: {problem}", markup=False)
        raise typer.Exit(2) from None


def _serve(app: FastAPI, settings: CommonSettings) -> None:
    # X-Forwarded-For is believed only from the proxies named: the client's address is what
    # intake's per-address limit counts, and uvicorn trusts 127.0.0.1 by default.
    proxies = settings.trusted_proxies
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,
        access_log=False,
        lifespan="on",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=proxies or None,
    )
    uvicorn.Server(config).run()


def intake(host: Host = None, port: Port = None) -> None:
    """Run intake: validates events from bp.events.raw (HTTP :8001)."""
    settings = settings_or_exit(IntakeSettings, host=host, port=port)
    configure_logging(settings.log_level, settings.log_json)
    _serve(_build(lambda: create_intake(settings)), settings)


def aggregator(host: Host = None, port: Port = None) -> None:
    """Run the aggregator: stores validated events, serves the read API (HTTP :8002)."""
    settings = settings_or_exit(AggregatorSettings, host=host, port=port)
    configure_logging(settings.log_level, settings.log_json)
    _serve(_build(lambda: create_aggregator(settings)), settings)


def notifier(host: Host = None, port: Port = None) -> None:
    """Run the notifier: alerts the Reference Group and TWGs (HTTP :8003)."""
    settings = settings_or_exit(NotifierSettings, host=host, port=port)
    configure_logging(settings.log_level, settings.log_json)
    _serve(_build(lambda: create_notifier(settings)), settings)
