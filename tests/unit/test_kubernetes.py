"""deploy/kubernetes (applied with `kubectl apply -k deploy`) checked against the code and
against the Kubernetes API's schemas, since no cluster runs here: settings and probes, each
service's own Kafka credentials, and what the NetworkPolicies let in and out. Each check is also
shown to fail on a drift."""

from __future__ import annotations

import copy
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import parse_qs, urlsplit

import kubernetes_validate
import pytest
import yaml

from tests.deploy import DEPLOY, ROOT, SETTINGS, Peer, default_port, env_names, policy_allows

Doc = dict[str, Any]
KUBERNETES = DEPLOY / "kubernetes"
SECRET_EXAMPLE = KUBERNETES / "secrets.env.example"


def generated_files(generator: Doc) -> dict[str, Path]:
    """A configMapGenerator's keys and the files they come from (`key=path` or `path`)."""
    files = {}
    for entry in generator.get("files", []):
        key, _, path = entry.rpartition("=")
        files[key or PurePosixPath(path).name] = DEPLOY / path
    return files


def env_keys(path: Path) -> set[str]:
    return set(env_values(path))


def env_values(path: Path) -> dict[str, str]:
    lines = (line.strip() for line in path.read_text().splitlines())
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def load() -> tuple[Doc, list[Doc]]:
    kustomization = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())
    docs = [
        doc
        for resource in kustomization["resources"]
        if (DEPLOY / resource).is_file()
        for doc in yaml.safe_load_all((DEPLOY / resource).read_text())
    ]
    return kustomization, docs


def problems(kustomization: Doc, docs: list[Doc]) -> list[str]:
    found = []
    for resource in kustomization["resources"]:
        if not (DEPLOY / resource).is_file():
            found.append(f"kustomization: resource {resource} does not exist")
    configmaps = {g["name"]: generated_files(g) for g in kustomization.get("configMapGenerator", [])}
    for name, files in configmaps.items():
        found += [f"configmap {name}: {p} does not exist" for p in files.values() if not p.is_file()]
    settings = {d["metadata"]["name"]: d["data"] for d in docs if d["kind"] == "ConfigMap"}
    (secret,) = kustomization["secretGenerator"]
    secret_keys = env_keys(SECRET_EXAMPLE)
    if [f"kubernetes/{SECRET_EXAMPLE.name.removesuffix('.example')}"] != secret["envs"]:
        found.append(f"secret {secret['name']}: made from {secret['envs']}, not what the example shows")
    images = {i["name"] for i in kustomization.get("images", [])}
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    services = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Service"}
    budgets = {d["metadata"]["name"]: d for d in docs if d["kind"] == "PodDisruptionBudget"}
    referenced_secrets: set[str] = set()
    for name, cls in SETTINGS.items():
        if name not in deployments:
            found.append(f"{name}: no Deployment")
            continue
        pod = deployments[name]["spec"]["template"]
        labels = pod["metadata"]["labels"]
        (container,) = pod["spec"]["containers"]
        port = default_port(name)
        args = container["args"]
        if args[0] != name:
            found.append(f"{name}: runs `cfamon {args[0]}`")
        if args[args.index("--port") + 1] != str(port):
            found.append(
                f"{name}: listens on {args[args.index('--port') + 1]}, its settings default to {port}"
            )
        if {"name": "http", "containerPort": port} not in container.get("ports", []):
            found.append(f"{name}: container port http is not {port}")
        if container["image"].split(":")[0] not in images:
            found.append(f"{name}: image {container['image']} is not one the kustomization sets")
        for probe, path in (("readinessProbe", "/readyz"), ("livenessProbe", "/healthz")):
            get = container.get(probe, {}).get("httpGet", {})
            if get != {"path": path, "port": "http"}:
                found.append(f"{name}: {probe} does not ask {path} on port http")
        resources = container.get("resources", {})
        if not {"cpu", "memory"} <= set(resources.get("requests", {})) or "memory" not in resources.get(
            "limits", {}
        ):
            found.append(f"{name}: no cpu and memory requests or no memory limit")
        if pod["metadata"].get("annotations", {}).get("prometheus.io/port") != str(port):
            found.append(f"{name}: prometheus.io/port is not {port}")
        variables: dict[str, str | None] = {}
        for source in container.get("envFrom", []):
            ref = source["configMapRef"]["name"]
            if ref not in settings:
                found.append(f"{name}: envFrom ConfigMap {ref} does not exist")
            variables.update(settings.get(ref, {}))
        for variable in container.get("env", []):
            key = variable.get("valueFrom", {}).get("secretKeyRef")
            if key is not None:
                referenced_secrets.add(key["key"])
                if key["name"] != secret["name"] or key["key"] not in secret_keys:
                    found.append(f"{name}: secret {key['name']}/{key['key']} is not in {SECRET_EXAMPLE.name}")
            variables[variable["name"]] = variable.get("value")
        for variable in sorted(variables):
            if variable.startswith("CFA_") and variable not in env_names(cls):
                found.append(f"{name}: {variable} is no setting of {cls.__name__}")
        grace = float(
            variables.get("CFA_SHUTDOWN_GRACE_SECONDS") or cls.model_fields["shutdown_grace_seconds"].default
        )
        if pod["spec"].get("terminationGracePeriodSeconds", 30) <= grace:
            found.append(f"{name}: killed before CFA_SHUTDOWN_GRACE_SECONDS ({grace:.0f} s) runs out")
        volumes = {v["name"]: v for v in pod["spec"].get("volumes", [])}
        mounts = {m["mountPath"]: volumes.get(m["name"], {}) for m in container.get("volumeMounts", [])}
        for volume in volumes.values():
            for projected in volume.get("projected", {}).get("sources", []):
                if projected["configMap"]["name"] not in configmaps:
                    found.append(f"{name}: mounts ConfigMap {projected['configMap']['name']}, not generated")
        for variable in ("CFA_RESULTS_FRAMEWORK", "CFA_NOTIFIER_CONFIG"):
            path = variables.get(variable)
            if variable in env_names(cls) and path is not None:
                folder, file = str(PurePosixPath(path).parent), PurePosixPath(path).name
                sources = mounts.get(folder, {}).get("projected", {}).get("sources", [])
                keys = {k for s in sources for k in configmaps.get(s["configMap"]["name"], {})}
                if file not in keys:
                    found.append(f"{name}: {variable}={path} is in no mounted ConfigMap")
        service = services.get(name)
        if service is None or not service["spec"]["selector"].items() <= labels.items():
            found.append(f"{name}: no Service selects its pods")
        elif {"name": "http", "port": port, "targetPort": "http"} not in service["spec"]["ports"]:
            found.append(f"{name}: the Service does not serve port {port}")
        budget = budgets.get(name)
        if budget is None or not budget["spec"]["selector"]["matchLabels"].items() <= labels.items():
            found.append(f"{name}: no PodDisruptionBudget selects its pods")
    for key in sorted(secret_keys - referenced_secrets):
        found.append(f"secret key {key} is used by no service")
    partitions = int(next(iter(settings.values()))["CFA_TOPIC_PARTITIONS"])
    for name in ("intake", "aggregator"):
        if name in deployments and deployments[name]["spec"]["replicas"] > partitions:
            found.append(f"{name}: more replicas than CFA_TOPIC_PARTITIONS; the rest would idle")
    return found


@pytest.fixture(scope="module")
def manifests() -> tuple[Doc, list[Doc]]:
    return load()


NAMESPACE = "cfa-monitor"
# Where Prometheus and the ingress controller run (networkpolicies.yaml names them).
PROMETHEUS = Peer.pod("monitoring", app="prometheus")
INGRESS = Peer.pod("ingress-nginx", app="ingress-nginx")


def credential_problems(docs: list[Doc], secrets: dict[str, str]) -> list[str]:
    """Each service logs in to Kafka with SASL as a user of its own, its password from the
    Secret; the MongoDB URL in the Secret carries credentials."""
    found = []
    settings = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    protocol = settings.get("CFA_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
    if not protocol.startswith("SASL_"):
        found.append(f"settings: CFA_KAFKA_SECURITY_PROTOCOL={protocol} does not log in")
    seen: dict[str, str] = {}
    for name in SETTINGS:
        env = {e["name"]: e for e in container(docs, name).get("env", [])}
        user = env.get("CFA_KAFKA_USERNAME", {}).get("value")
        key = (env.get("CFA_KAFKA_PASSWORD", {}).get("valueFrom") or {}).get("secretKeyRef", {}).get("key")
        if user is None or user in seen.values():
            found.append(f"{name}: Kafka user {user} is not its own")
        if key is None:
            found.append(f"{name}: CFA_KAFKA_PASSWORD is not from the Secret")
        elif key in seen:
            found.append(f"{name}: Kafka password {key} is also {seen[key]}'s")
        seen[key or name] = user or ""
    url = urlsplit(secrets.get("CFA_MONGODB_URL", ""))
    if not url.username or not url.password or not parse_qs(url.query).get("authSource"):
        found.append(f"{SECRET_EXAMPLE.name}: CFA_MONGODB_URL carries no user, password and authSource")
    return found


class Reach:
    """What the NetworkPolicies let one service's pods receive and open."""

    def __init__(self, policies: list[Doc], labels: dict[str, str], port: int) -> None:
        self.policies, self.labels, self.port = policies, labels, port

    def ingress(self, peer: Peer, port: int) -> bool:
        named = "http" if port == self.port else None  # the container's port name
        return policy_allows(self.policies, NAMESPACE, self.labels, "ingress", peer, port, named)

    def egress(self, peer: Peer, port: int, protocol: str = "TCP") -> bool:
        return policy_allows(self.policies, NAMESPACE, self.labels, "egress", peer, port, None, protocol)


def network_problems(docs: list[Doc], secrets: dict[str, str]) -> list[str]:
    """Every pod is isolated both ways (`ingress_problems`, `egress_problems` say what then)."""
    found = []
    policies = [d for d in docs if d["kind"] == "NetworkPolicy"]
    settings = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    for name in SETTINGS:
        pod = deployment(docs, name)["spec"]["template"]
        reach = Reach(policies, pod["metadata"]["labels"], default_port(name))
        if reach.ingress(Peer.outside("198.51.100.9"), 5432):
            found.append(f"{name}: no NetworkPolicy restricts its ingress")
        if reach.egress(Peer.outside("198.51.100.9"), 5432):
            found.append(f"{name}: no NetworkPolicy restricts its egress")
        scrape = int(pod["metadata"].get("annotations", {}).get("prometheus.io/port", reach.port))
        found += ingress_problems(name, reach, scrape)
        found += egress_problems(name, reach, settings, secrets)
    return found


def ingress_problems(name: str, reach: Reach, scrape: int) -> list[str]:
    """Prometheus scrapes every pod; intake takes reports from anywhere, the aggregator and the
    notifier only from the namespace and the ingress controller."""
    found = []
    if not reach.ingress(PROMETHEUS, scrape):
        found.append(f"{name}: Prometheus cannot scrape port {scrape}")
    public = reach.ingress(Peer.outside(), reach.port)
    if name == "intake" and not public:
        found.append(f"intake: project systems cannot reach port {reach.port}")
    if name != "intake" and (public or reach.ingress(Peer.pod("elsewhere"), reach.port)):
        found.append(f"{name}: port {reach.port} is open beyond the namespace and the ingress")
    if name != "intake" and not (
        reach.ingress(Peer.pod(NAMESPACE), reach.port) and reach.ingress(INGRESS, reach.port)
    ):
        found.append(f"{name}: the namespace or the ingress controller cannot reach port {reach.port}")
    return found


def egress_problems(name: str, reach: Reach, settings: dict[str, str], secrets: dict[str, str]) -> list[str]:
    """DNS, Kafka and MongoDB (where the settings point) for all; SMTP (where CFA_SMTP_URL
    points) and HTTPS anywhere for the notifier only."""
    found = []
    if not reach.egress(Peer.outside("10.96.0.10"), 53, "UDP"):
        found.append(f"{name}: cannot ask DNS")
    servers = {
        "Kafka": settings["CFA_KAFKA_BOOTSTRAP_SERVERS"].split(",")[0],
        "MongoDB": urlsplit(secrets["CFA_MONGODB_URL"]).netloc.rpartition("@")[2].split(",")[0],
    }
    for what, server in servers.items():
        if not reach.egress(service_peer(server), int(server.rpartition(":")[2])):
            found.append(f"{name}: cannot reach {what} at {server}")
    smtp = urlsplit(secrets["CFA_SMTP_URL"])
    mails = reach.egress(service_peer(smtp.netloc), smtp.port or 25)
    webhooks = reach.egress(Peer.outside(), 443)
    if name == "notifier" and not (mails and webhooks):
        found.append(f"notifier: cannot reach SMTP at {smtp.netloc} and HTTPS webhooks")
    if name != "notifier" and (mails or webhooks):
        found.append(f"{name}: may send mail or reach any address on 443")
    return found


def service_peer(server: str) -> Peer:
    """A `host:port` as a peer: a Service `name.namespace.svc[...]` is a pod of that namespace."""
    parts = server.rpartition(":")[0].split(".")
    if "svc" in parts and parts.index("svc") >= 2:
        return Peer.pod(parts[parts.index("svc") - 1])
    return Peer.outside()


@pytest.fixture(scope="module")
def secrets() -> dict[str, str]:
    return env_values(SECRET_EXAMPLE)


def test_each_service_logs_in_as_itself(manifests: tuple[Doc, list[Doc]], secrets: dict[str, str]) -> None:
    assert credential_problems(manifests[1], secrets) == []


def test_the_network_policies_let_through_what_the_services_need_only(
    manifests: tuple[Doc, list[Doc]], secrets: dict[str, str]
) -> None:
    assert network_problems(manifests[1], secrets) == []


def policy(docs: list[Doc], name: str) -> Doc:
    found: Doc = next(d for d in docs if d["kind"] == "NetworkPolicy" and d["metadata"]["name"] == name)
    return found


def without_policies(docs: list[Doc], *names: str) -> None:
    docs[:] = [d for d in docs if d["kind"] != "NetworkPolicy" or d["metadata"]["name"] not in names]


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d, s: settings_data(d).update(CFA_KAFKA_SECURITY_PROTOCOL="SSL"),
            "CFA_KAFKA_SECURITY_PROTOCOL=SSL does not log in",
        ),
        (
            lambda d, s: container(d, "aggregator")["env"][0].update(value="cfa-intake"),
            "aggregator: Kafka user cfa-intake is not its own",
        ),
        (
            lambda d, s: container(d, "notifier")["env"][2].update(value="secret", valueFrom=None),
            "notifier: CFA_KAFKA_PASSWORD is not from the Secret",
        ),
        (
            lambda d, s: s.update(
                CFA_MONGODB_URL="mongodb://mongodb-0.mongodb.mongodb.svc:27017/?replicaSet=rs0"
            ),
            "CFA_MONGODB_URL carries no user, password and authSource",
        ),
        (
            lambda d, s: without_policies(d, "default-deny", "cfa-egress"),
            "no NetworkPolicy restricts its egress",
        ),
        (
            lambda d, s: policy(d, "intake-ingress")["spec"]["podSelector"]["matchLabels"].update(
                {"app.kubernetes.io/component": "intak"}
            ),
            "intake: project systems cannot reach port 8001",
        ),
        (
            lambda d, s: policy(d, "internal-http-ingress")["spec"]["ingress"][0].pop("from"),
            "aggregator: port 8002 is open beyond the namespace",
        ),
        (
            lambda d, s: policy(d, "internal-http-ingress")["spec"]["ingress"][0]["from"].pop(),
            "notifier: Prometheus cannot scrape port 8003",
        ),
        (
            lambda d, s: s.update(CFA_MONGODB_URL="mongodb://cfa:x@db.mongo.svc:27017/?authSource=cfa"),
            "intake: cannot reach MongoDB at db.mongo.svc:27017",
        ),
        (
            lambda d, s: settings_data(d).update(
                CFA_KAFKA_BOOTSTRAP_SERVERS="kafka-bootstrap.kafka.svc:9093"
            ),
            "aggregator: cannot reach Kafka at kafka-bootstrap.kafka.svc:9093",
        ),
        (
            lambda d, s: policy(d, "notifier-egress")["spec"]["podSelector"]["matchLabels"].pop(
                "app.kubernetes.io/component"
            ),
            "intake: may send mail or reach any address on 443",
        ),
        (
            lambda d, s: policy(d, "notifier-egress")["spec"]["egress"][0]["ports"].pop(),
            "notifier: cannot reach SMTP at smtp-relay.mail.svc:25 and HTTPS webhooks",
        ),
    ],
)
def test_the_trust_checks_catch_a_drift(
    manifests: tuple[Doc, list[Doc]],
    secrets: dict[str, str],
    change: Callable[[list[Doc], dict[str, str]], None],
    expected: str,
) -> None:
    _, docs = copy.deepcopy(manifests)
    drifted_secrets = dict(secrets)
    change(docs, drifted_secrets)
    found = credential_problems(docs, drifted_secrets) + network_problems(docs, drifted_secrets)
    assert any(expected in p for p in found), found


def test_the_manifests_match_the_code(manifests: tuple[Doc, list[Doc]]) -> None:
    assert problems(*manifests) == []


def test_the_manifests_are_valid_kubernetes(manifests: tuple[Doc, list[Doc]]) -> None:
    _, docs = manifests
    version = kubernetes_validate.latest_version()
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)
    assert {d["kind"] for d in docs} == {
        "Namespace",
        "ConfigMap",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "NetworkPolicy",
    }


def test_the_schema_check_can_fail(manifests: tuple[Doc, list[Doc]]) -> None:
    _, docs = manifests
    deployment = copy.deepcopy(next(d for d in docs if d["kind"] == "Deployment"))
    deployment["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]["httpGet"]["pathh"] = "/readyz"
    with pytest.raises(kubernetes_validate.ValidationError, match="pathh"):
        kubernetes_validate.validate(deployment, kubernetes_validate.latest_version(), strict=True)


def test_the_same_image_and_files_as_compose() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    kustomization, _ = load()
    (image,) = kustomization["images"]
    assert compose["services"]["intake"]["image"] == f"{image['name']}:{image['newTag']}"
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for generator in kustomization["configMapGenerator"]:
        for key, path in generated_files(generator).items():
            assert f"COPY {path.relative_to(ROOT)} /etc/cfa/{key}" in dockerfile  # the image's defaults
    assert "/deploy/kubernetes/secrets.env" in (ROOT / ".gitignore").read_text().splitlines()


def deployment(docs: list[Doc], name: str) -> Doc:
    return next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == name)


def container(docs: list[Doc], name: str) -> Doc:
    found: Doc = deployment(docs, name)["spec"]["template"]["spec"]["containers"][0]
    return found


def settings_data(docs: list[Doc]) -> Doc:
    found: Doc = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    return found


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda k, d: settings_data(d).update(CFA_MONGO_DB="cfa"),
            "CFA_MONGO_DB is no setting of IntakeSettings",
        ),
        (
            lambda k, d: container(d, "notifier")["env"].append({"name": "CFA_SMTP_HOST", "value": "x"}),
            "notifier: CFA_SMTP_HOST is no setting of NotifierSettings",
        ),
        (
            lambda k, d: container(d, "intake")["env"].append(
                {"name": "CFA_SMTP_URL", "value": "smtp://x:25"}
            ),
            "intake: CFA_SMTP_URL is no setting of IntakeSettings",
        ),
        (lambda k, d: container(d, "aggregator")["args"].__setitem__(-1, "8080"), "listens on 8080"),
        (
            lambda k, d: container(d, "notifier")["readinessProbe"]["httpGet"].update(path="/healthz"),
            "readinessProbe does not ask /readyz",
        ),
        (
            lambda k, d: container(d, "notifier")["env"].__setitem__(
                0, {"name": "CFA_NOTIFIER_CONFIG", "value": "/etc/cfa/notify.yaml"}
            ),
            "CFA_NOTIFIER_CONFIG=/etc/cfa/notify.yaml is in no mounted ConfigMap",
        ),
        (lambda k, d: settings_data(d).update(CFA_SHUTDOWN_GRACE_SECONDS="45"), "killed before"),
        (lambda k, d: deployment(d, "intake")["spec"].update(replicas=20), "more replicas than"),
        (
            lambda k, d: k["configMapGenerator"][0]["files"].__setitem__(
                0, "results-framework.yaml=config/rf.yaml"
            ),
            "config/rf.yaml does not exist",
        ),
    ],
)
def test_the_checks_catch_a_drift(
    manifests: tuple[Doc, list[Doc]], change: Callable[[Doc, list[Doc]], None], expected: str
) -> None:
    kustomization, docs = copy.deepcopy(manifests)
    change(kustomization, docs)
    found = problems(kustomization, docs)
    assert any(expected in p for p in found), found


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed")
def test_kustomize_builds_what_kubernetes_accepts(tmp_path: Path) -> None:
    """The real build: generated names (with their hash) replace the references."""
    shutil.copytree(DEPLOY, tmp_path / "deploy", ignore=shutil.ignore_patterns("secrets.env"))
    shutil.copy(
        tmp_path / "deploy" / "kubernetes" / SECRET_EXAMPLE.name,
        tmp_path / "deploy" / "kubernetes" / "secrets.env",
    )
    built = subprocess.run(
        ["kubectl", "kustomize", str(tmp_path / "deploy")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    docs = list(yaml.safe_load_all(built.stdout))
    version = kubernetes_validate.latest_version()
    for doc in docs:
        kubernetes_validate.validate(doc, version, strict=True)
        assert doc["metadata"].get("namespace", "cfa-monitor") == "cfa-monitor"
    names = {d["metadata"]["name"] for d in docs if d["kind"] in ("ConfigMap", "Secret")}
    notifier = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == "notifier")
    volume = notifier["spec"]["template"]["spec"]["volumes"][0]
    mounted = {s["configMap"]["name"] for s in volume["projected"]["sources"]}
    assert mounted <= names and all(n.startswith(("cfa-framework-", "cfa-notifier-")) for n in mounted)
    secrets = {
        e["valueFrom"]["secretKeyRef"]["name"]
        for e in notifier["spec"]["template"]["spec"]["containers"][0]["env"]
        if "valueFrom" in e
    }
    assert len(secrets) == 1 and secrets <= names and secrets.pop().startswith("cfa-secrets-")
