"""docker-compose.yml, the Prometheus and Grafana files it mounts, Kafka's ACLs and the image,
checked against the code, since no Docker engine runs here. Each check is also shown to fail
on a drift (a renamed variable, port or metric, a credential or a grant too many)."""

from __future__ import annotations

import copy
import os
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import yaml

from shared.settings import CommonSettings
from shared.topics import Topics
from tests.debian import prometheus_bin
from tests.deploy import (
    DEPLOY,
    KAFKA_ACLS,
    ROOT,
    SETTINGS,
    Acl,
    Files,
    all_exported,
    broker_config,
    dashboard_queries,
    default_port,
    env_names,
    exported_series,
    kafka_use,
    load,
    parse_acls,
    promql_series,
    rule_exprs,
)

# Published on every interface: project systems post to intake, the Reference Group and donors
# read the aggregator's dashboard. Everything else compose publishes is for this host only.
PUBLIC = frozenset({"intake", "aggregator"})
SUPER_USERS = frozenset({"User:kafka", "User:cfa-admin"})  # the broker itself, the Secretariat
# Projects (any authenticated principal) may only produce their reports (DESIGN §11).
PROJECTS: set[Acl] = {("User:*", op, "topic", Topics().raw) for op in ("WRITE", "DESCRIBE")}
# Beyond what the code declares: intake republishes HTTP submissions onto bp.events.raw.
UNDECLARED: set[Acl] = {("User:cfa-intake", "WRITE", "topic", Topics().raw)}
FROM_ENV = re.compile(r"\$\{([A-Z][A-Z0-9_]*):\?[^}]*\}")  # ${NAME:?message}: required, from .env


def mounted(service: dict[str, Any], inside: str) -> Path | None:
    """The host path that `service` mounts at `inside` (or at a folder holding it)."""
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if not source.startswith("."):
            continue  # a named volume
        if inside == target or inside.startswith(target.rstrip("/") + "/"):
            return ROOT / source / Path(inside).relative_to(target)
    return None


def one_shot(service: dict[str, Any]) -> bool:
    """An init job or a tool (`restart: "no"`): it runs to its end, no healthcheck."""
    return service.get("restart") == "no"


def from_env(value: Any) -> str | None:
    """The variable a value is taken from when it is exactly `${NAME:?...}`, else None."""
    match = FROM_ENV.fullmatch(str(value))
    return match.group(1) if match else None


def service_problems(compose: dict[str, Any]) -> list[str]:
    found = []
    services = compose["services"]
    for name, service in services.items():
        if "healthcheck" not in service and not one_shot(service):
            found.append(f"{name}: no healthcheck")
        for dependency, condition in (service.get("depends_on") or {}).items():
            if dependency not in services:
                found.append(f"{name}: depends on unknown service {dependency}")
                continue
            wanted = "service_completed_successfully" if one_shot(services[dependency]) else "service_healthy"
            if condition.get("condition") != wanted:
                found.append(f"{name}: depends on {dependency} without {wanted}")
        cls = SETTINGS.get(name, CommonSettings)
        for variable in service.get("environment") or {}:
            if variable.startswith("CFA_") and variable not in env_names(cls):
                found.append(f"{name}: {variable} is no setting of {cls.__name__}")
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            # ./run/ (git-ignored) holds what the stack writes; compose makes the folders.
            if source.startswith(".") and not source.startswith("./run/") and not (ROOT / source).exists():
                found.append(f"{name}: mounts {source}, which does not exist")
            elif not source.startswith(".") and source not in (compose.get("volumes") or {}):
                found.append(f"{name}: mounts undeclared volume {source}")
    for name in SETTINGS:
        service = services[name]
        command = service["command"]
        if command[0] != name:
            found.append(f"{name}: runs `cfamon {command[0]}`")
        port = int(command[command.index("--port") + 1])
        if port != default_port(name):
            found.append(f"{name}: listens on {port}, its settings default to {default_port(name)}")
        if not any(p.split(":")[-2:] == [str(port)] * 2 for p in service.get("ports", [])):
            found.append(f"{name}: port {port} is not published")
        if f":{port}/readyz" not in " ".join(service.get("healthcheck", {}).get("test", [])):
            found.append(f"{name}: healthcheck does not ask /readyz on port {port}")
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


def kafka_problems(compose: dict[str, Any]) -> list[str]:
    """Kafka lets nobody in without a SCRAM (or, inside, the broker's) login and authorizes
    with ACLs only; `kafka_client_problems` says how the services log in."""
    found = []
    broker = broker_config(compose["services"]["kafka"]["environment"])
    if broker.get("allow.everyone.if.no.acl.found") != "false":
        found.append("kafka: allow.everyone.if.no.acl.found is not false")
    if broker.get("authorizer.class.name") != "org.apache.kafka.metadata.authorizer.StandardAuthorizer":
        found.append("kafka: the authorizer is not KRaft's StandardAuthorizer")
    if set(broker.get("super.users", "").split(";")) != SUPER_USERS:
        found.append(f"kafka: super users {broker.get('super.users')}, not {';'.join(sorted(SUPER_USERS))}")
    protocols = dict(p.split(":") for p in broker["listener.security.protocol.map"].split(","))
    for listener in (entry.split("://")[0] for entry in broker["listeners"].split(",")):
        if not protocols.get(listener, listener).startswith("SASL_"):
            found.append(f"kafka: listener {listener} is {protocols.get(listener, listener)}")
    return found + kafka_client_problems(compose, broker, protocols)


def kafka_client_problems(
    compose: dict[str, Any], broker: dict[str, str], protocols: dict[str, str]
) -> list[str]:
    """Each service logs in with SCRAM, on the listener it connects to, as a principal of its
    own, with a password from the environment that kafka-init gives that same user, and
    starts after kafka-init."""
    found = []
    services = compose["services"]
    advertised = {e.split("://")[1]: e.split("://")[0] for e in broker["advertised.listeners"].split(",")}
    scram_users = {
        key.removeprefix("SCRAM_").lower().replace("_", "-"): from_env(value)
        for key, value in services["kafka-init"]["environment"].items()
        if key.startswith("SCRAM_")
    }
    if "cfa-admin" not in scram_users:
        found.append("kafka-init: creates no SCRAM user cfa-admin")
    users: list[str] = []
    for name in SETTINGS:
        environment = services[name]["environment"]
        protocol = environment.get("CFA_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
        listener = advertised.get(environment["CFA_KAFKA_BOOTSTRAP_SERVERS"], "?")
        if protocol != protocols.get(listener) or not protocol.startswith("SASL_"):
            found.append(f"{name}: CFA_KAFKA_SECURITY_PROTOCOL={protocol}, listener {listener} is not that")
        mechanism = environment.get("CFA_KAFKA_SASL_MECHANISM")
        mechanisms = broker.get(f"listener.name.{listener.lower()}.sasl.enabled.mechanisms", "")
        if mechanism not in mechanisms.split(",") or "PLAIN" in mechanisms:
            found.append(f"{name}: logs in with {mechanism}, not SCRAM")
        user = str(environment.get("CFA_KAFKA_USERNAME"))
        if user in users or f"User:{user}" in SUPER_USERS:
            found.append(f"{name}: Kafka user {user} is not its own")
        users.append(user)
        password = from_env(environment.get("CFA_KAFKA_PASSWORD"))
        if password is None:
            found.append(f"{name}: CFA_KAFKA_PASSWORD is not taken from the environment")
        elif scram_users.get(user) != password:
            found.append(f"{name}: kafka-init does not give SCRAM user {user} the password {password}")
        if "kafka-init" not in services[name].get("depends_on", {}):
            found.append(f"{name}: does not wait for kafka-init (its user and ACLs)")
        if environment.get("CFA_TOPIC_PREFIX"):
            found.append(f"{name}: CFA_TOPIC_PREFIX is set; acls.txt names the topics without one")
    return found


def acl_problems(acls: set[Acl], compose: dict[str, Any]) -> list[str]:
    """The ACLs grant each service exactly what its code uses, projects (User:*) only the
    production of reports, and nobody but services writes an internal topic."""
    found = []
    needed = PROJECTS | UNDECLARED
    for name in SETTINGS:
        needed |= kafka_use(name, f"User:{compose['services'][name]['environment']['CFA_KAFKA_USERNAME']}")
    for principal, operation, resource, name in sorted(needed - acls):
        found.append(f"{principal} lacks {operation} on {resource} {name}")
    for principal, operation, resource, name in sorted(acls - needed):
        found.append(f"{principal} is granted {operation} on {resource} {name}, which its code does not use")
    internal = set(Topics().all()) - {Topics().raw}
    for principal, operation, resource, name in sorted(acls):
        if principal == "User:*" and resource == "topic" and (name in internal or name == "*"):
            found.append(f"User:* (every project) may {operation} internal topic {name}")
    return found


def mongo_problems(compose: dict[str, Any]) -> list[str]:
    """MongoDB requires a login: a keyFile made by a one-shot job it waits for, the root user
    from the environment, an init script for the services' user (`mongo_url_problems`)."""
    found = []
    services = compose["services"]
    mongodb = services["mongodb"]
    environment = mongodb.get("environment") or {}
    command = mongodb["command"]
    if "--keyFile" not in command:
        found.append("mongodb: no --keyFile (members and clients would not authenticate)")
    else:
        folder = str(Path(command[command.index("--keyFile") + 1]).parent)
        volume = next((v.split(":")[0] for v in mongodb["volumes"] if v.split(":")[1] == folder), None)
        makers = {
            n
            for n, s in services.items()
            if one_shot(s) and any(v.startswith(f"{volume}:") for v in s.get("volumes", []))
        }
        if volume is None or not makers or not makers <= set(mongodb.get("depends_on") or {}):
            found.append(f"mongodb: the keyFile's folder {folder} is no volume a job it waits for makes")
    for variable in ("MONGO_INITDB_ROOT_PASSWORD", "MONGO_APP_PASSWORD"):
        if from_env(environment.get(variable)) is None:
            found.append(f"mongodb: {variable} is not taken from the environment")
    scripts = [v.split(":")[0] for v in mongodb["volumes"] if ":/docker-entrypoint-initdb.d/" in v]
    if not any("readWrite" in (ROOT / s).read_text() for s in scripts if (ROOT / s).is_file()):
        found.append("mongodb: no init script creates the services' readWrite user")
    if "MONGO_INITDB_ROOT_PASSWORD" not in str(mongodb["healthcheck"]["test"]):
        found.append("mongodb: the healthcheck does not log in")
    return found + mongo_url_problems(services, environment)


def mongo_url_problems(services: dict[str, Any], mongodb: dict[str, Any]) -> list[str]:
    """Every CFA_MONGODB_URL carries the services' user, its password from the environment,
    and authSource= the database that user is made in, the services' database."""
    found = []
    for name, service in services.items():
        url = (service.get("environment") or {}).get("CFA_MONGODB_URL")
        if url is None:
            continue
        parts = urlsplit(FROM_ENV.sub(r"<\1>", url))  # ${NAME:?...} -> <NAME>
        source = parse_qs(parts.query).get("authSource", [None])[0]
        if parts.username != mongodb.get("MONGO_APP_USERNAME") or parts.password is None:
            found.append(f"{name}: CFA_MONGODB_URL carries no credentials of the services' user")
        elif parts.password != f"<{from_env(mongodb.get('MONGO_APP_PASSWORD'))}>":
            found.append(f"{name}: CFA_MONGODB_URL's password is not MONGO_APP_PASSWORD from the environment")
        if (
            not source
            or source != mongodb.get("MONGO_APP_DB")
            or source != service["environment"].get("CFA_MONGODB_DB")
        ):
            found.append(f"{name}: CFA_MONGODB_URL's authSource={source} is not the user's database")
    return found


def port_problems(compose: dict[str, Any]) -> list[str]:
    """Only intake and the aggregator are published beyond this host."""
    return [
        f"{name}: publishes {port} on every interface"
        for name, service in compose["services"].items()
        for port in service.get("ports", [])
        if name not in PUBLIC and not str(port).startswith("127.0.0.1:")
    ]


def trust_problems(files: Files) -> list[str]:
    compose = files["compose"]
    return (
        kafka_problems(compose)
        + acl_problems(files["acls"], compose)
        + mongo_problems(compose)
        + port_problems(compose)
    )


@pytest.fixture(scope="module")
def files() -> Files:
    return load()


def test_compose_matches_the_code(files: Files) -> None:
    assert service_problems(files["compose"]) == []


def test_prometheus_and_grafana_match_the_services(files: Files) -> None:
    assert monitoring_problems(files) == []


def test_compose_keeps_the_trust_boundary(files: Files) -> None:
    assert trust_problems(files) == []


def test_compose_has_the_production_stack(files: Files) -> None:
    services = files["compose"]["services"]
    assert {
        "kafka",
        "kafka-init",
        "mongodb",
        "mongodb-keyfile",
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
            lambda f: f["compose"]["services"]["intake"]["depends_on"]["kafka-init"].update(
                condition="service_healthy"
            ),
            "intake: depends on kafka-init without service_completed_successfully",
        ),
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
    found = service_problems(drifted["compose"]) + monitoring_problems(drifted) + trust_problems(drifted)
    assert any(expected in p for p in found), found


def environment(files: Files, service: str) -> dict[str, Any]:
    found: dict[str, Any] = files["compose"]["services"][service]["environment"]
    return found


def kafka_settings(files: Files) -> dict[str, Any]:
    return environment(files, "kafka")


def without_keyfile(files: Files) -> None:
    command = files["compose"]["services"]["mongodb"]["command"]
    del command[command.index("--keyFile") : command.index("--keyFile") + 2]


TOPICS = Topics()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda f: environment(f, "intake").update(CFA_KAFKA_USERNAME="cfa-aggregator"),
            "aggregator: Kafka user cfa-aggregator is not its own",
        ),
        (
            lambda f: environment(f, "notifier").update(CFA_KAFKA_PASSWORD="notifier-secret"),
            "notifier: CFA_KAFKA_PASSWORD is not taken from the environment",
        ),
        (
            lambda f: environment(f, "aggregator").update(
                CFA_KAFKA_PASSWORD="${KAFKA_INTAKE_PASSWORD:?set it}"
            ),
            "kafka-init does not give SCRAM user cfa-aggregator the password KAFKA_INTAKE_PASSWORD",
        ),
        (
            lambda f: environment(f, "intake").update(CFA_KAFKA_SECURITY_PROTOCOL="PLAINTEXT"),
            "intake: CFA_KAFKA_SECURITY_PROTOCOL=PLAINTEXT",
        ),
        (
            lambda f: f["compose"]["services"]["notifier"]["depends_on"].pop("kafka-init"),
            "notifier: does not wait for kafka-init",
        ),
        (
            lambda f: kafka_settings(f).update(KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND="true"),
            "allow.everyone.if.no.acl.found is not false",
        ),
        (
            lambda f: kafka_settings(f).update(
                KAFKA_LISTENER_SECURITY_PROTOCOL_MAP="CLIENT:PLAINTEXT,BROKER:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
            ),
            "kafka: listener CLIENT is PLAINTEXT",
        ),
        (
            lambda f: kafka_settings(f).update(KAFKA_SUPER_USERS="User:kafka;User:cfa-admin;User:cfa-intake"),
            "kafka: super users",
        ),
        (
            lambda f: f["acls"].add(("User:*", "WRITE", "topic", TOPICS.validated)),
            "User:* (every project) may WRITE internal topic bp.events.v1",
        ),
        (
            lambda f: f["acls"].discard(("User:cfa-aggregator", "READ", "group", "cfa-aggregator")),
            "User:cfa-aggregator lacks READ on group cfa-aggregator",
        ),
        (
            lambda f: f["acls"].add(("User:cfa-notifier", "WRITE", "topic", TOPICS.validated)),
            "User:cfa-notifier is granted WRITE on topic bp.events.v1, which its code does not use",
        ),
        (without_keyfile, "mongodb: no --keyFile"),
        (
            lambda f: f["compose"]["services"]["mongodb"].pop("depends_on"),
            "mongodb: the keyFile's folder /etc/mongodb-keyfile is no volume a job it waits for makes",
        ),
        (
            lambda f: environment(f, "mongodb").update(MONGO_INITDB_ROOT_PASSWORD="example"),
            "mongodb: MONGO_INITDB_ROOT_PASSWORD is not taken from the environment",
        ),
        (
            lambda f: environment(f, "intake").update(
                CFA_MONGODB_URL="mongodb://mongodb:27017/?replicaSet=rs0"
            ),
            "intake: CFA_MONGODB_URL carries no credentials",
        ),
        (
            lambda f: environment(f, "notifier").update(
                CFA_MONGODB_URL="mongodb://cfa:${MONGO_APP_PASSWORD:?x}@mongodb:27017/?replicaSet=rs0&authSource=admin"
            ),
            "notifier: CFA_MONGODB_URL's authSource=admin is not the user's database",
        ),
        (
            lambda f: f["compose"]["services"]["prometheus"].update(ports=["9090:9090"]),
            "prometheus: publishes 9090:9090 on every interface",
        ),
        (
            lambda f: f["compose"]["services"]["mongodb"].update(ports=["27017:27017"]),
            "mongodb: publishes 27017:27017 on every interface",
        ),
    ],
)
def test_the_trust_checks_catch_a_drift(files: Files, change: Drift, expected: str) -> None:
    drifted = copy.deepcopy(files)
    change(drifted)
    found = trust_problems(drifted)
    assert any(expected in p for p in found), found


def admin_script(acls: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """deploy/kafka/admin.sh init as kafka-init runs it, printing its Kafka commands (DRY_RUN)."""
    compose = load()["compose"]["services"]["kafka-init"]
    variables = {
        k: "0123456789abcdefXYZ"
        for k in compose["environment"]
        if k.endswith("PASSWORD") or k.startswith("SCRAM_")
    }
    return subprocess.run(
        ["bash", str(DEPLOY / "kafka" / "admin.sh"), "init"],
        env={
            "PATH": os.environ["PATH"],
            "TMPDIR": str(tmp_path),
            "DRY_RUN": "1",
            "ACLS_FILE": str(acls),
            **variables,
        },
        capture_output=True,
        text=True,
        timeout=60,
    )


def commanded(output: str) -> tuple[set[str], set[Acl]]:
    """The SCRAM users and the ACLs the printed kafka-configs.sh and kafka-acls.sh commands make."""
    users, acls = set(), set()
    for line in output.splitlines():
        words = shlex.split(line)
        if words[:1] == ["kafka-configs.sh"]:
            users.add(words[words.index("--entity-name") + 1])
        elif words[:1] == ["kafka-acls.sh"]:
            assert words[1] == "--add"
            options = list(zip(words[2::2], words[3::2], strict=True))
            principal = next(v for o, v in options if o == "--allow-principal")
            operations = [v.upper() for o, v in options if o == "--operation"]
            resources = [(o.removeprefix("--"), v) for o, v in options if o in ("--topic", "--group")]
            acls |= {(principal, op, kind, name) for op in operations for kind, name in resources}
    return users, acls


def test_kafka_init_makes_the_users_and_exactly_the_acls_of_the_table(files: Files, tmp_path: Path) -> None:
    ran = admin_script(KAFKA_ACLS, tmp_path)
    assert ran.returncode == 0, ran.stderr
    users, acls = commanded(ran.stdout)
    services = files["compose"]["services"]
    assert users == {"cfa-admin"} | {services[name]["environment"]["CFA_KAFKA_USERNAME"] for name in SETTINGS}
    assert acls == files["acls"] and acls
    assert "0123456789abcdefXYZ" not in ran.stdout  # passwords are never printed


def test_kafka_init_refuses_a_line_it_cannot_read(tmp_path: Path) -> None:
    table = tmp_path / "acls.txt"
    table.write_text(
        KAFKA_ACLS.read_text() + "User:cfa-intake Read topic bp.events.raw  # a trailing comment\n"
    )
    ran = admin_script(table, tmp_path)
    assert ran.returncode != 0 and "not 'principal operations resource names'" in ran.stderr
    _, acls = commanded(ran.stdout)
    assert parse_acls(KAFKA_ACLS.read_text()) == acls  # every line before it was read as the test reads it


def test_the_readme_says_how_to_make_every_secret_compose_needs() -> None:
    """The Production section's recipe for `.env` names each `${NAME:?...}` compose requires."""
    required = set(FROM_ENV.findall((ROOT / "docker-compose.yml").read_text()))
    production = (ROOT / "README.md").read_text().split("## Production", 1)[1].split("\n## ", 1)[0]
    recipe = next(block for block in production.split("```")[1::2] if ".env" in block)
    assert required == set(re.findall(r"\b[A-Z][A-Z0-9_]*_(?:TOKEN|PASSWORD)\b", recipe))


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
    assert "SUCCESS: 9 rules found" in checked.stdout


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
