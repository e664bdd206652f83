"""A real Prometheus (Debian's, unpacked by the tests) scrapes the three services with the
scrape config and alert rules that docker-compose.yml mounts: every series the Grafana
dashboard and the rules read is there, every dashboard query runs, every rule evaluates, and
a stopped service shows as down."""

from __future__ import annotations

import copy
import json
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.stack import StackEndpoints
from shared.stack.processes import ManagedProcess, free_port, http_ok
from tests.conftest import service_settings
from tests.debian import prometheus_bin
from tests.deploy import DEPLOY, dashboard_queries, load, promql_series, rule_exprs
from tests.factories import NOW
from tests.integration.helpers import INVALID, VALID, ServerThread, eventually, send_events

pytestmark = pytest.mark.integration


@dataclass
class Prometheus:
    url: str
    servers: dict[str, ServerThread]

    def api(self, path: str, **params: str) -> Any:
        query = f"?{urllib.parse.urlencode(params)}" if params else ""
        with urllib.request.urlopen(f"{self.url}/api/v1/{path}{query}", timeout=10) as response:
            body = json.load(response)
        assert body["status"] == "success", body
        return body["data"]

    def value(self, expr: str) -> float | None:
        result = self.api("query", query=expr)["result"]
        return float(result[0]["value"][1]) if result else None


def scrape_config(servers: dict[str, ServerThread]) -> dict[str, Any]:
    """deploy/prometheus/prometheus.yml with the services where the test runs them, the
    rules file where compose mounts it from, and a 1 s scrape and evaluation."""
    config = copy.deepcopy(load()["prometheus"])
    config["global"] = {"scrape_interval": "1s", "evaluation_interval": "1s"}
    config["rule_files"] = [str(DEPLOY / "prometheus" / "alerts.yml")]
    (job,) = [j for j in config["scrape_configs"] if j["job_name"] == "cfa-monitor"]
    for group in job["static_configs"]:
        group["targets"] = [f"127.0.0.1:{servers[group['labels']['service']].port}"]
    config["scrape_configs"] = [job]
    return config


@pytest.fixture
def prometheus(stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path) -> Iterator[Prometheus]:
    clock = fixed_clock(NOW + timedelta(days=1))
    config = tmp_path / "notifier.yaml"
    config.write_text(
        "from: m@test.example\nreference_group: {email: [rg@test.example]}\nevaluate_every: 1s\n"
    )
    apps = {
        "intake": create_intake(service_settings(IntakeSettings, stack, isolation), clock),
        "aggregator": create_aggregator(service_settings(AggregatorSettings, stack, isolation), clock),
        "notifier": create_notifier(
            service_settings(NotifierSettings, stack, isolation, notifier_config=config), clock
        ),
    }
    with ExitStack() as running:
        servers = {name: running.enter_context(ServerThread(app)) for name, app in apps.items()}
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(scrape_config(servers)))
        port = free_port()
        process = ManagedProcess(
            "prometheus",
            [
                str(prometheus_bin("prometheus")),
                f"--config.file={tmp_path / 'prometheus.yml'}",
                f"--storage.tsdb.path={tmp_path / 'tsdb'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            tmp_path / "prometheus.log",
        )
        process.start()
        running.callback(process.stop)
        process.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/-/ready"), timeout=60)
        yield Prometheus(f"http://127.0.0.1:{port}", servers)


async def test_prometheus_scrapes_the_services_and_runs_the_dashboard_and_rules(
    prometheus: Prometheus, stack: StackEndpoints, isolation: dict[str, str]
) -> None:
    await send_events(service_settings(IntakeSettings, stack, isolation))

    async def scraped() -> bool:
        targets = prometheus.api("targets")["activeTargets"]
        return (
            len(targets) == 3
            and all(t["health"] == "up" for t in targets)
            and (
                prometheus.value("sum(cfa_events_stored_total)") == VALID
                and prometheus.value("max(cfa_dlq_messages)") == INVALID
                and prometheus.value("max(cfa_alerts_firing)") not in (None, 0.0)
            )
        )

    await eventually(scraped, what="Prometheus scraping the events' effect from all three services")
    files = load()
    names = set(prometheus.api("label/__name__/values"))
    queries = dashboard_queries(files["dashboard"]) + rule_exprs(files["alerts"])
    for where, expr in queries:
        missing = promql_series(expr) - names
        assert not missing, f"{where}: Prometheus has no {sorted(missing)}"
        prometheus.api("query", query=expr.replace("[5m]", "[1m]"))  # runs (status success)
    assert prometheus.value('max(cfa_priorities{status="behind"})') >= 1
    assert (
        prometheus.value(f'sum(cfa_events_accepted_total{{type="{EventType.ACTIVITY_REPORTED}"}})') == VALID
    )
    assert prometheus.value('sum(cfa_notification_attempts_total{channel="email"})') == 0  # at 0, not absent

    async def evaluated() -> bool:
        groups = prometheus.api("rules")["groups"]
        rules = [r for g in groups for r in g["rules"]]
        return len(rules) == len(rule_exprs(files["alerts"])) and all(
            r.get("lastEvaluation", "").startswith("2") and r["health"] == "ok" for r in rules
        )

    await eventually(evaluated, what="every alert rule evaluated without error")

    def alert(name: str) -> list[dict[str, Any]]:
        return [a for a in prometheus.api("alerts")["alerts"] if a["labels"]["alertname"] == name]

    async def behind_pending() -> bool:
        return [a["state"] for a in alert("CfaPriorityBehind")] == ["pending"]  # for: 15m

    await eventually(behind_pending, what="CfaPriorityBehind pending on the aggregator's figures")
    assert alert("CfaServiceDown") == []

    prometheus.servers["notifier"].__exit__()

    async def notifier_down() -> bool:
        return [a["labels"]["service"] for a in alert("CfaServiceDown")] == ["notifier"]

    await eventually(notifier_down, what="CfaServiceDown for the stopped notifier")


def test_promtool_finds_nothing_to_correct_in_each_services_metrics(prometheus: Prometheus) -> None:
    for name, server in prometheus.servers.items():
        with urllib.request.urlopen(f"{server.url}/metrics", timeout=10) as response:
            text = response.read()
        linted = subprocess.run(
            [str(prometheus_bin("promtool")), "check", "metrics"], input=text, capture_output=True, timeout=60
        )
        assert linted.returncode == 0, f"{name}: {linted.stdout.decode()}{linted.stderr.decode()}"
