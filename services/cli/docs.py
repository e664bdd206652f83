"""`cfamon docs`: write each service's AsyncAPI document (what it serves at /asyncapi.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from fastapi import FastAPI

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.cli.common import out as console
from services.cli.common import settings_or_exit
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from shared.adapters.asyncapi import asyncapi_of


def docs(
    out: Annotated[Path, typer.Option(help="Folder to write {service}.yaml and .json into")] = Path(
        "docs/asyncapi"
    ),
) -> None:
    """Write the AsyncAPI 3.0 document of each service's Kafka topics."""
    apps: dict[str, Callable[[], FastAPI]] = {
        "intake": lambda: create_intake(settings_or_exit(IntakeSettings)),
        "aggregator": lambda: create_aggregator(settings_or_exit(AggregatorSettings)),
        "notifier": lambda: create_notifier(settings_or_exit(NotifierSettings)),
    }
    out.mkdir(parents=True, exist_ok=True)
    for service, build in apps.items():
        spec = asyncapi_of(build().state.broker, service)
        (out / f"{service}.yaml").write_text(spec.to_yaml())
        (out / f"{service}.json").write_text(spec.to_json())
        console.print(f"{out / service}.yaml, .json")
