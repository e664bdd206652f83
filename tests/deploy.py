"""The deployment files (docker-compose.yml, deploy/) as the tests read them, and what they are
checked against: the services' settings, the metric names they export, the Kafka topics and
consumer groups their code uses (for the ACLs), and what a NetworkPolicy lets through."""

from __future__ import annotations

import ipaddress
import json
import re
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from fastapi import FastAPI
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
KAFKA_ACLS = DEPLOY / "kafka" / "acls.txt"
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


Files = dict[str, Any]  # the parsed files: compose, prometheus, alerts, grafana's three, acls
Acl = tuple[str, str, str, str]  # principal, operation, resource type, resource name


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
        "acls": parse_acls(KAFKA_ACLS.read_text()),
    }


def parse_acls(text: str) -> set[Acl]:
    """deploy/kafka/acls.txt: `principal operations resource names` a line, each line allowing
    every operation on every name (as deploy/kafka/admin.sh turns it into kafka-acls.sh)."""
    found = set()
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        principal, operations, resource, names = line.split()
        for operation in operations.split(","):
            found |= {(principal, operation.upper(), resource, name) for name in names.split(",")}
    return found


def broker_config(environment: dict[str, Any]) -> dict[str, str]:
    """server.properties as the apache/kafka image writes it from KAFKA_* variables
    (KafkaDockerWrapper: `_` is `.`, `__` is `_`, `___` is `-`)."""
    return {
        key.replace("KAFKA_", "").lower().replace("_", ".").replace("...", "-").replace("..", "_"): str(v)
        for key, v in environment.items()
        if key.startswith("KAFKA_")
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
def built_apps() -> dict[str, FastAPI]:
    """Each service's app, built (not started: no server is needed) with default settings."""
    return {
        "intake": create_intake(IntakeSettings()),
        "aggregator": create_aggregator(AggregatorSettings()),
        "notifier": create_notifier(NotifierSettings()),
    }


def exported_series() -> dict[str, frozenset[str]]:
    """Each service's series, read from its Prometheus registry."""
    return {name: frozenset(series_names(app.state.metrics.registry)) for name, app in built_apps().items()}


def kafka_use(service: str, principal: str) -> set[Acl]:
    """The ACLs `service`'s code needs: Create and Describe on every topic (it creates them
    all at start), Read on what it subscribes to and on its consumer group, Write on what it
    publishes, Read on the topics its metrics measure (they read each partition's last batch;
    the lag of its own group is read with the group's Describe, which Read implies)."""
    app = built_apps()[service]
    broker = app.state.broker
    topics = SETTINGS[service]().topics.all()
    needed = {(principal, op, "topic", t) for t in topics for op in ("CREATE", "DESCRIBE")}
    for subscriber in broker.subscribers:
        needed |= {(principal, "READ", "topic", topic.name) for topic in subscriber.topics}
        if subscriber.group_id:
            needed.add((principal, "READ", "group", subscriber.group_id))
    needed |= {(principal, "WRITE", "topic", publisher.topic) for publisher in broker.publishers}
    for reading, _ in app.state.metrics._refreshers:
        kind, _, topic = reading.partition(" ")
        if kind in ("size", "lag"):
            needed.add((principal, "READ", "topic", topic))
    return needed


# Kubernetes NetworkPolicies, evaluated for one connection (enough of the API for ours).


class Peer(NamedTuple):
    """The other end of a connection: a pod (namespace, labels) or an address outside."""

    namespace: str | None
    labels: dict[str, str]
    address: str = "203.0.113.7"

    @classmethod
    def pod(cls, namespace: str, **labels: str) -> Peer:
        return cls(namespace, labels)

    @classmethod
    def outside(cls, address: str = "203.0.113.7") -> Peer:
        return cls(None, {}, address)


def selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in (selector.get("matchLabels") or {}).items()):
        return False
    for expression in selector.get("matchExpressions") or []:
        value, values = labels.get(expression["key"]), expression.get("values", [])
        if {
            "In": value not in values,
            "NotIn": value in values,
            "Exists": value is None,
            "DoesNotExist": value is not None,
        }[expression["operator"]]:
            return False
    return True


def _peer_allowed(peers: list[dict[str, Any]], peer: Peer, namespace: str) -> bool:
    if not peers:
        return True  # no from / to: any peer
    for allowed in peers:
        if "ipBlock" in allowed:
            block = allowed["ipBlock"]
            address = ipaddress.ip_address(peer.address)
            if address in ipaddress.ip_network(block["cidr"]) and not any(
                address in ipaddress.ip_network(e) for e in block.get("except", [])
            ):
                return True
        elif peer.namespace is not None:
            namespaces, pods = allowed.get("namespaceSelector"), allowed.get("podSelector")
            same = (
                peer.namespace == namespace
                if namespaces is None
                else selects(namespaces, {"kubernetes.io/metadata.name": peer.namespace})
            )
            if same and (pods is None or selects(pods, peer.labels)):
                return True
    return False


def policy_allows(
    policies: list[dict[str, Any]],
    namespace: str,
    pod: dict[str, str],
    direction: str,
    peer: Peer,
    port: int,
    port_name: str | None = None,
    protocol: str = "TCP",
) -> bool:
    """Whether the policies let `pod` (its labels) receive (direction "ingress") from or open
    (direction "egress") to `peer` a connection on `port` (named `port_name` on the pod)."""
    kind, ends = direction.capitalize(), "from" if direction == "ingress" else "to"
    isolating = [
        p["spec"]
        for p in policies
        if selects(p["spec"]["podSelector"], pod) and kind in p["spec"].get("policyTypes", ["Ingress"])
    ]
    if not isolating:
        return True
    return any(
        _peer_allowed(rule.get(ends, []), peer, namespace)
        and (
            not rule.get("ports")
            or any(
                p.get("protocol", "TCP") == protocol and p.get("port") in (None, port, port_name)
                for p in rule["ports"]
            )
        )
        for spec in isolating
        for rule in spec.get(direction, [])
    )


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
