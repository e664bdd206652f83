"""docker-compose.yml checked against the code, since no Docker engine runs here."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.aggregator.settings import AggregatorSettings
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
SETTINGS: dict[str, type[CommonSettings]] = {
    "intake": IntakeSettings,
    "aggregator": AggregatorSettings,
    "notifier": NotifierSettings,
}


def env_names(cls: type[CommonSettings]) -> set[str]:
    return {f"CFA_{name.upper()}" for name in cls.model_fields}


def problems(compose: dict[str, Any]) -> list[str]:
    """Everything in the compose file that the code would not accept."""
    found = []
    services = compose["services"]
    for name, service in services.items():
        if "healthcheck" not in service:
            found.append(f"{name}: no healthcheck")
        for dependency, condition in (service.get("depends_on") or {}).items():
            if condition.get("condition") != "service_healthy":
                found.append(f"{name}: depends on {dependency} without service_healthy")
            if dependency not in services:
                found.append(f"{name}: depends on unknown service {dependency}")
    for name, cls in SETTINGS.items():
        service = services[name]
        command = service["command"]
        if command[0] != name:
            found.append(f"{name}: runs `cfamon {command[0]}`")
        port = int(command[command.index("--port") + 1])
        if port != cls.model_fields["port"].default:
            found.append(
                f"{name}: listens on {port}, its settings default to {cls.model_fields['port'].default}"
            )
        if f"{port}:{port}" not in service.get("ports", []):
            found.append(f"{name}: port {port} is not published")
        if str(port) not in " ".join(service.get("healthcheck", {}).get("test", [])):
            found.append(f"{name}: healthcheck does not ask port {port}")
        for variable in service.get("environment", {}):
            if variable.startswith("CFA_") and variable not in env_names(cls):
                found.append(f"{name}: {variable} is no setting of {cls.__name__}")
        dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
        if not dockerfile.is_file():
            found.append(f"{name}: {dockerfile} does not exist")
    return found


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_matches_the_code(compose: dict[str, Any]) -> None:
    assert problems(compose) == []


def test_compose_has_the_production_stack(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert {"kafka", "mongodb", "intake", "aggregator", "notifier", "mailpit"} <= set(services)
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert "--replSet" in services["mongodb"]["command"]
    assert "replicaSet=rs0" in services["intake"]["environment"]["CFA_MONGODB_URL"]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda c: c["services"]["intake"]["environment"].update(CFA_KAFKA_SERVERS="x:1"),
            "CFA_KAFKA_SERVERS is no setting",
        ),
        (lambda c: c["services"]["aggregator"]["command"].__setitem__(-1, "9000"), "listens on 9000"),
        (lambda c: c["services"]["notifier"].pop("healthcheck"), "notifier: no healthcheck"),
    ],
)
def test_the_check_catches_a_drift(compose: dict[str, Any], change: Any, expected: str) -> None:
    drifted = copy.deepcopy(compose)
    change(drifted)
    assert any(expected in p for p in problems(drifted))


def test_the_image_runs_cfamon() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["cfamon"]' in dockerfile
    assert "FROM python:3.11" in dockerfile
    # The image carries the sample framework and points the setting at it.
    copied = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY deploy/")]
    assert all((ROOT / path).is_file() for path in copied) and copied
    assert "ENV CFA_RESULTS_FRAMEWORK=/etc/cfa/results-framework.yaml" in dockerfile
