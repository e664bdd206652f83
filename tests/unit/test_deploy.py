"""docker-compose.yml, the Prometheus and Grafana files it mounts, and the image, checked
against the code, since no Docker engine runs here. Each check is also shown to fail on a
drift (a renamed variable, port or metric)."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.debian import prometheus_bin
from tests.deploy import (
    DEPLOY,
    ROOT,
    SETTINGS,
    Files,
    all_exported,
    dashboard_queries,
    default_port,
    env_names,
    exported_series,
    load,
    promql_series,
    rule_exprs,
)


def mounted(service: dict[str, Any], inside: str) -> Path | None:
    """The host path that `service` mounts at `inside` (or at a folder holding it)."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if not source.startswith("."):
            continue  # a named volume
        if inside == target or inside.startswith(target.rstrip("/") + "/"):
            return ROOT / source / Path(inside).relative_to(target)
    return None


def service_problems(compose: dict[str, Any]) -> list[str]:
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
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith(".") and not (ROOT / source).exists():
                found.append(f"{name}: mounts {source}, which does not exist")
            elif not source.startswith(".") and source not in (compose.get("volumes") or {}):
                found.append(f"{name}: mounts undeclared volume {source}")
    for name, cls in SETTINGS.items():
        service = services[name]
        command = service["command"]
        if command[0] != name:
            found.append(f"{name}: runs `cfamon {command[0]}`")
        port = int(command[command.index("--port") + 1])
        if port != default_port(name):
            found.append(f"{name}: listens on {port}, its settings default to {default_port(name)}")
        if f"{port}:{port}" not in service.get("ports", []):
            found.append(f"{name}: port {port} is not published")
        if f":{port}/readyz" not in " ".join(service.get("healthcheck", {}).get("test", [])):
            found.append(f"{name}: healthcheck does not ask /readyz on port {port}")
        for variable in service.get("environment", {}):
            if variable.startswith("CFA_") and variable not in env_names(cls):
                found.append(f"{name}: {variable} is no setting of {cls.__name__}")
        dockerfile = ROOT / service["build"]["context"] / service["build"]["dockerfile"]
        if not dockerfile.is_file():
            found.append(f"{name}: {dockerfile} does not exist")
    return found


def monitoring_problems(files: Files) -> list[str]:
    """Prometheus scrapes every service where it listens, loads the rules compose mounts;
    Grafana gets the datasource and the dashboard; every query reads exported series."""
    found = []
    services = files["compose"]["services"]
    prometheus, grafana = services["prometheus"], services["grafana"]
    for rule_file in files["prometheus"]["rule_files"]:
        if mounted(prometheus, rule_file) is None:
            found.append(f"prometheus: rule file {rule_file} is not mounted")
    config = next(a.split("=", 1)[1] for a in prometheus["command"] if a.startswith("--config.file="))
    if mounted(prometheus, config) != DEPLOY / "prometheus" / "prometheus.yml":
        found.append(f"prometheus: {config} is not deploy/prometheus/prometheus.yml")
    (job,) = [j for j in files["prometheus"]["scrape_configs"] if j["job_name"] == "cfa-monitor"]
    targets = {t for group in job["static_configs"] for t in group["targets"]}
    for name in SETTINGS:
        if f"{name}:{default_port(name)}" not in targets:
            found.append(f"prometheus: does not scrape {name}:{default_port(name)}")
    for target in targets:
        if target.split(":")[0] not in services:
            found.append(f"prometheus: scrapes {target}, no such service")
    (source,) = files["datasources"]["datasources"]
    prometheus_port = prometheus["ports"][0].split(":")[-1]
    if source["url"] != f"http://prometheus:{prometheus_port}":
        found.append(f"grafana: datasource {source['url']} is not the prometheus service")
    for provider in files["providers"]["providers"]:
        folder = mounted(grafana, provider["options"]["path"])
        if folder is None or not list(folder.glob("*.json")):
            found.append(
                f"grafana: dashboards folder {provider['options']['path']} holds no mounted dashboard"
            )
    for folder in ("/etc/grafana/provisioning/datasources", "/etc/grafana/provisioning/dashboards"):
        if mounted(grafana, folder) is None:
            found.append(f"grafana: {folder} is not mounted")
    uids = {panel["datasource"]["uid"] for panel in files["dashboard"]["panels"] if "datasource" in panel}
    if uids != {source["uid"]}:
        found.append(f"grafana: panels use datasources {sorted(uids)}, provisioned is {source['uid']}")
    exported = all_exported()
    queries = [
        *((f"dashboard panel {t!r}", e) for t, e in dashboard_queries(files["dashboard"])),
        *((f"alert {a}", e) for a, e in rule_exprs(files["alerts"])),
    ]
    for where, expr in queries:
        for series in sorted(promql_series(expr) - exported):
            found.append(f"{where}: reads {series}, which no service exports")
    return found


@pytest.fixture(scope="module")
def files() -> Files:
    return load()


def test_compose_matches_the_code(files: Files) -> None:
    assert service_problems(files["compose"]) == []


def test_prometheus_and_grafana_match_the_services(files: Files) -> None:
    assert monitoring_problems(files) == []


def test_compose_has_the_production_stack(files: Files) -> None:
    services = files["compose"]["services"]
    assert {
        "kafka",
        "mongodb",
        "intake",
        "aggregator",
        "notifier",
        "mailpit",
        "prometheus",
        "grafana",
    } <= set(services)
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert "--replSet" in services["mongodb"]["command"]
    assert "replicaSet=rs0" in services["intake"]["environment"]["CFA_MONGODB_URL"]
    assert services["notifier"]["environment"]["CFA_SMTP_URL"] == "smtp://mailpit:1025"
    assert services["notifier"]["depends_on"]["mailpit"]["condition"] == "service_healthy"


def test_the_dashboard_and_rules_cover_what_operators_watch(files: Files) -> None:
    read = set().union(*(promql_series(e) for _, e in dashboard_queries(files["dashboard"])))
    for service, series in exported_series().items():
        cfa = {s for s in series if s.startswith("cfa_") and not s.endswith("_created")}
        cfa -= {"cfa_read_model_update_seconds_count", "cfa_read_model_update_seconds_sum"}
        assert cfa <= read, f"{service}: the dashboard shows none of {sorted(cfa - read)}"
    alerts = {a for a, _ in rule_exprs(files["alerts"])}
    # DESIGN §7 and the issue: a service down, a priority behind, consumer lag, DLQ growth.
    assert {"CfaServiceDown", "CfaPriorityBehind", "CfaConsumerLagHigh", "CfaDeadLetterGrowing"} <= alerts


Drift = Callable[[Files], None]


def rename_in_dashboard(files: Files) -> None:
    files["dashboard"]["panels"][-1]["targets"][0]["expr"] = "max(cfa_outbox_size)"


def rename_in_rules(files: Files) -> None:
    files["alerts"]["groups"][0]["rules"][1]["expr"] = 'max(cfa_priority_status{status="behind"}) > 0'


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda f: f["compose"]["services"]["intake"]["environment"].update(CFA_KAFKA_SERVERS="x:1"),
            "CFA_KAFKA_SERVERS is no setting",
        ),
        (
            lambda f: f["compose"]["services"]["aggregator"]["command"].__setitem__(-1, "9000"),
            "listens on 9000",
        ),
        (lambda f: f["compose"]["services"]["notifier"].pop("healthcheck"), "notifier: no healthcheck"),
        (
            lambda f: f["compose"]["services"]["grafana"]["volumes"].__setitem__(
                1, "./deploy/grafana/dashboard:/etc/grafana/dashboards:ro"
            ),
            "mounts ./deploy/grafana/dashboard, which does not exist",
        ),
        (rename_in_dashboard, "reads cfa_outbox_size, which no service exports"),
        (rename_in_rules, "alert CfaPriorityBehind: reads cfa_priority_status"),
        (
            lambda f: f["prometheus"]["scrape_configs"][0]["static_configs"][1]["targets"].__setitem__(
                0, "aggregator:8020"
            ),
            "does not scrape aggregator:8002",
        ),
        (
            lambda f: f["datasources"]["datasources"][0].__setitem__("uid", "prom"),
            "provisioned is prom",
        ),
    ],
)
def test_the_checks_catch_a_drift(files: Files, change: Drift, expected: str) -> None:
    drifted = copy.deepcopy(files)
    change(drifted)
    found = service_problems(drifted["compose"]) + monitoring_problems(drifted)
    assert any(expected in p for p in found), found


def test_a_metric_renamed_in_the_code_is_caught(files: Files, monkeypatch: pytest.MonkeyPatch) -> None:
    renamed = frozenset(all_exported() - {"cfa_consumer_lag"} | {"cfa_kafka_lag"})
    monkeypatch.setattr("tests.unit.test_deploy.all_exported", lambda: renamed)
    found = monitoring_problems(files)
    assert "alert CfaConsumerLagHigh: reads cfa_consumer_lag, which no service exports" in found
    assert "dashboard panel 'Consumer lag': reads cfa_consumer_lag, which no service exports" in found


# promtool, from Debian's prometheus package (fetched by tests/debian.py when missing).


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(prometheus_bin("promtool")), *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_promtool_accepts_the_config_with_the_rules_compose_mounts(files: Files, tmp_path: Path) -> None:
    config = copy.deepcopy(files["prometheus"])
    prometheus = files["compose"]["services"]["prometheus"]
    config["rule_files"] = [str(mounted(prometheus, path)) for path in config["rule_files"]]
    (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
    checked = promtool("check", "config", str(tmp_path / "prometheus.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 7 rules found" in checked.stdout


def test_the_alert_rules_fire_when_they_should(files: Files) -> None:
    tested = promtool("test", "rules", "alerts.test.yml", cwd=DEPLOY / "prometheus")
    assert tested.returncode == 0, tested.stdout + tested.stderr
    assert "SUCCESS" in tested.stdout


def test_the_rules_tests_fail_when_a_rule_changes(tmp_path: Path) -> None:
    rules = (DEPLOY / "prometheus" / "alerts.yml").read_text()
    (tmp_path / "alerts.yml").write_text(
        rules.replace("(cfa_consumer_lag) > 1000", "(cfa_consumer_lag) > 10000")
    )
    (tmp_path / "alerts.test.yml").write_text((DEPLOY / "prometheus" / "alerts.test.yml").read_text())
    tested = promtool("test", "rules", "alerts.test.yml", cwd=tmp_path)
    assert tested.returncode != 0
    assert "alertname: CfaConsumerLagHigh" in tested.stdout + tested.stderr


def test_every_dashboard_query_parses(files: Files, tmp_path: Path) -> None:
    """promtool parses PromQL only in rule files: each panel query becomes a recording rule."""
    queries = dashboard_queries(files["dashboard"])
    rules = [{"record": f"cfa:dashboard:{n}", "expr": expr} for n, (_, expr) in enumerate(queries)]
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
    )
    checked = promtool("check", "rules", str(tmp_path / "dashboard.yml"))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(queries)} rules found" in checked.stdout
    rules[0]["expr"] = "sum(rate(cfa_events_stored_total[5m])"  # unbalanced: must be refused
    (tmp_path / "dashboard.yml").write_text(
        yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]})
    )
    assert promtool("check", "rules", str(tmp_path / "dashboard.yml")).returncode != 0


def test_the_image_runs_cfamon() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    assert 'ENTRYPOINT ["cfamon"]' in dockerfile
    assert "FROM python:3.11" in dockerfile
    # The image carries the sample framework and points the setting at it.
    copied = [line.split()[1] for line in dockerfile.splitlines() if line.startswith("COPY deploy/")]
    assert all((ROOT / path).is_file() for path in copied) and copied
    assert "ENV CFA_RESULTS_FRAMEWORK=/etc/cfa/results-framework.yaml" in dockerfile
