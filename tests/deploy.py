"""The deployment files (docker-compose.yml, deploy/) as the tests read them, and what they are
checked against: the services' settings and the metric names they export."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from prometheus_client import CollectorRegistry

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
SETTINGS: dict[str, type[CommonSettings]] = {
    "intake": IntakeSettings,
    "aggregator": AggregatorSettings,
    "notifier": NotifierSettings,
}
# Series Prometheus makes itself for every target.
PROMETHEUS_SERIES = frozenset({"up", "scrape_duration_seconds", "scrape_samples_scraped"})
SUFFIXES = {
    "counter": ("_total", "_created"),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "summary": ("_count", "_sum", "_created"),
    "gauge": ("",),
    "info": ("_info",),
}


Files = dict[str, Any]  # the parsed files: compose, prometheus, alerts, grafana's three


def load() -> Files:
    grafana = DEPLOY / "grafana"
    return {
        "compose": yaml.safe_load((ROOT / "docker-compose.yml").read_text()),
        "prometheus": yaml.safe_load((DEPLOY / "prometheus" / "prometheus.yml").read_text()),
        "alerts": yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text()),
        "datasources": yaml.safe_load(
            (grafana / "provisioning" / "datasources" / "prometheus.yml").read_text()
        ),
        "providers": yaml.safe_load(
            (grafana / "provisioning" / "dashboards" / "cfa-monitor.yml").read_text()
        ),
        "dashboard": json.loads((grafana / "dashboards" / "cfa-monitor.json").read_text()),
    }


def dashboard_queries(dashboard: dict[str, Any]) -> list[tuple[str, str]]:
    """(panel title, PromQL) of every panel, with Grafana's variables given a value."""
    return [
        (panel["title"], target["expr"].replace("$__rate_interval", "5m"))
        for panel in dashboard["panels"]
        for target in panel.get("targets", [])
    ]


def rule_exprs(alerts: dict[str, Any]) -> list[tuple[str, str]]:
    return [(rule["alert"], rule["expr"]) for group in alerts["groups"] for rule in group["rules"]]


def env_names(cls: type[CommonSettings]) -> set[str]:
    return {f"CFA_{name.upper()}" for name in cls.model_fields}


def default_port(service: str) -> int:
    port = SETTINGS[service].model_fields["port"].default
    assert isinstance(port, int)
    return port


def series_names(registry: CollectorRegistry) -> set[str]:
    """Every series name `registry` can expose (a counter `x` is `x_total` and `x_created`)."""
    return {family.name + suffix for family in registry.collect() for suffix in SUFFIXES[family.type]}


@cache
def exported_series() -> dict[str, frozenset[str]]:
    """Each service's series: its app is built (not started: no server is needed) and its
    Prometheus registry read."""
    apps = {
        "intake": create_intake(IntakeSettings()),
        "aggregator": create_aggregator(AggregatorSettings()),
        "notifier": create_notifier(NotifierSettings()),
    }
    return {name: frozenset(series_names(app.state.metrics.registry)) for name, app in apps.items()}


def all_exported() -> frozenset[str]:
    return frozenset().union(*exported_series().values()) | PROMETHEUS_SERIES


_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPINGS = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_WORDS = re.compile(r"\b[A-Za-z_:][A-Za-z0-9_:]*\b(?!\s*\()")
_KEYWORDS = frozenset({"and", "or", "unless", "bool", "offset", "inf", "nan", "by", "without"})


def promql_series(expr: str) -> set[str]:
    """The series names a PromQL expression reads (not its functions, labels or keywords)."""
    text = _STRINGS.sub('""', expr)
    for pattern in (_MATCHERS, _RANGES, _GROUPINGS):
        text = pattern.sub(" ", text)
    return {word for word in _WORDS.findall(text) if word.lower() not in _KEYWORDS}
