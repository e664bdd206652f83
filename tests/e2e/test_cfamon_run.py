"""`cfamon run` as a user runs it: everything up, `cfamon projects add` prints a token, an event
reported with it is stored, Ctrl-C stops every process."""

from __future__ import annotations

import asyncio
import io
import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from pypdf import PdfReader

from shared.adapters.mongo import EVENTS
from shared.domain.projects import Credentials
from shared.events.models import EventType
from shared.events.produce import signed
from shared.stack.processes import free_port
from tests.cli import CFAMON, cfamon, projects_add_args
from tests.factories import activity_data
from tests.kafka_helpers import binary, produce, sdk_event

pytestmark = pytest.mark.e2e


@dataclass
class LocalStack:
    process: subprocess.Popen[str]
    env: dict[str, str]
    ports: dict[str, int]
    output: Path


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                found.add(int(entry.name))
    return found


@pytest.fixture
def local_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """`cfamon run` without the simulator: the tests control every event."""
    yield from _cfamon_run(tmp_path, "--no-simulate")


@pytest.fixture
def demo_stack(tmp_path: Path) -> Iterator[LocalStack]:
    """`cfamon run` as `make run` starts it: with the simulated field projects."""
    yield from _cfamon_run(tmp_path)


def _cfamon_run(tmp_path: Path, *options: str) -> Iterator[LocalStack]:
    ports = {n: free_port() for n in ("kafka", "mongodb", "smtp", "intake", "aggregator", "notifier")}
    env = {
        **os.environ,
        "CFA_KAFKA_SESSION_TIMEOUT_MS": "2000",
        "CFA_KAFKA_HEARTBEAT_INTERVAL_MS": "500",
        "CFA_KAFKA_BOOTSTRAP_SERVERS": f"127.0.0.1:{ports['kafka']}",
        "CFA_MONGODB_URL": f"mongodb://127.0.0.1:{ports['mongodb']}/?directConnection=true",
    }
    argv = [*CFAMON, "run", "--run-dir", str(tmp_path / "run"), *options]
    argv += [arg for name, port in ports.items() for arg in (f"--{name}-port", str(port))]
    output = tmp_path / "cfamon-run.out"
    with output.open("w") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while "is running" not in output.read_text():
            assert process.poll() is None, output.read_text()
            assert time.monotonic() < deadline, output.read_text()
            time.sleep(0.2)
        yield LocalStack(process, env, ports, output)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()


def test_make_run_stack_registers_a_project_and_stores_its_events(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    text = local_stack.output.read_text()
    for name in ("intake", "aggregator", "notifier"):
        assert f"http://127.0.0.1:{local_stack.ports[name]}/docs" in text

    path = tmp_path / "PK-REINT-01.credentials.json"
    added = cfamon(*projects_add_args(id="PK-REINT-01"), "--credentials", str(path), env=local_stack.env)
    assert added.returncode == 0, added.stderr
    token = added.stdout.strip().splitlines()[-1]
    assert token.startswith("cfa_") and len(token) >= 43
    credentials = Credentials.from_json(path.read_text())
    assert credentials.token == token and path.stat().st_mode & 0o777 == 0o600

    bad_country = cfamon(*projects_add_args(id="PK-REINT-02", countries="PAK,ZZZ"), env=local_stack.env)
    assert bad_country.returncode == 1
    assert len(bad_country.stderr.strip().splitlines()) == 1 and "'ZZZ'" in bad_country.stderr

    no_kafka_env = {**local_stack.env, "CFA_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1"}
    no_kafka = cfamon(
        *projects_add_args(id="PK-REINT-03"),
        "--credentials",
        str(tmp_path / "3.json"),
        env=no_kafka_env,
        timeout=120,
    )
    assert no_kafka.returncode == 1 and "cannot publish to Kafka" in no_kafka.stderr
    assert not (tmp_path / "3.json").exists()  # no credentials of a project not registered
    assert len(no_kafka.stderr.strip().splitlines()) == 1
    listed = cfamon("projects", "list", env=local_stack.env)
    assert "PK-REINT-01" in listed.stdout and "PK-REINT-03" not in listed.stdout  # nothing half-registered

    event = signed(  # as the README shows a project: the SDK, then its own key
        sdk_event(
            EventType.ACTIVITY_REPORTED,
            activity_data("PK-REINT-01", start_date="2025-06-02", end_date="2025-06-06"),
            "e2e-1",
            sign=False,
        ),
        credentials.signing_key.sign,
    )
    asyncio.run(produce(local_stack.env["CFA_KAFKA_BOOTSTRAP_SERVERS"], "bp.events.raw", [binary(event)]))
    client: MongoClient[dict[str, object]] = MongoClient(local_stack.env["CFA_MONGODB_URL"])
    try:
        deadline = time.monotonic() + 60
        stored: dict[object, object] = {}
        while len(stored) < 2 and time.monotonic() < deadline:
            stored = {d["type"]: d["id"] for d in client.cfa[EVENTS].find({"project_id": "PK-REINT-01"})}
            time.sleep(0.2)
        assert set(stored) == {str(EventType.PROJECT_REGISTERED), str(EventType.ACTIVITY_REPORTED)}
        assert stored[str(EventType.ACTIVITY_REPORTED)] == "e2e-1"
    finally:
        client.close()


def test_framework_load_and_rebuild_against_the_running_stack(
    local_stack: LocalStack, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text(
        'indicators:\n  - {id: ind-x, action_point: "9.9", name: n, unit: u, aggregation: sum, target: 0}\n'
    )
    refused = cfamon("framework", "load", str(broken), env=local_stack.env)
    assert refused.returncode == 1
    assert "indicator ind-x: action_point: '9.9' is not an action point" in refused.stderr
    assert "indicator ind-x: target: 0 is not above the baseline 0" in refused.stderr

    loaded = cfamon("framework", "load", "deploy/config/results-framework.yaml", env=local_stack.env)
    assert loaded.returncode == 0, loaded.stderr
    assert "covering 37 of 37 action points" in loaded.stdout

    rebuilt = cfamon("rebuild", env=local_stack.env)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert "snapshots as of" in rebuilt.stdout
    assert "maintained snapshots of that day: identical" in rebuilt.stdout

    # A translation of the Call for Action's texts: checked like the framework, then used by
    # the pages and the meeting pack in its language. (Test texts: no official one ships.)
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text(
        'language: de\nsource: ""\naction_points: {"9.9": x}\npriorities: {1: "a\\u0007b"}\ncolour: red\n'
    )
    refused = cfamon("catalog", "translations", "load", str(wrong), env=local_stack.env)
    assert refused.returncode == 1, refused.stdout
    for problem in ("source: ", "priorities[1]: holds a control character", "colour: "):
        assert f"{wrong}: {problem}" in refused.stderr, refused.stderr
    wrong.write_text(
        'language: de\nsource: s\naction_points: {"9.9": x}\nindicators: {ind-nope: {name: y}}\n'
    )
    refused = cfamon("catalog", "translations", "load", str(wrong), env=local_stack.env)
    assert refused.returncode == 1, refused.stdout
    assert "language: 'de' is not one the monitor translates into (ru)" in refused.stderr
    assert "action_points.9.9: no such action point" in refused.stderr
    assert "indicators.ind-nope: no such indicator" in refused.stderr
    russian = tmp_path / "ru.yaml"
    russian.write_text(
        "language: ru\nsource: a test text, not an official one\n"
        "priorities: {1: Предотвращать нерегулярную миграцию (тест)}\n"
        "indicators: {ind-1.1-cooperation-agreements: {name: Соглашения о сотрудничестве (тест)}}\n"
    )
    loaded = cfamon("catalog", "translations", "load", str(russian), env=local_stack.env)
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded 2 ru texts" in loaded.stdout
    aggregator = f"http://127.0.0.1:{local_stack.ports['aggregator']}"
    deadline = time.monotonic() + 30  # the services look again every CFA_CONFIG_REFRESH_SECONDS (10 s)
    page = ""
    while "Предотвращать нерегулярную миграцию (тест)" not in page and time.monotonic() < deadline:
        page = httpx.get(f"{aggregator}/?lang=ru", timeout=10).text
        time.sleep(0.5)
    assert "Предотвращать нерегулярную миграцию (тест)" in page
    assert 'id="catalog-language"' not in page  # translated: the English note is gone
    assert '<span lang="en">Strengthen existing policies' in page  # what it lacks: English, marked
    english = httpx.get(f"{aggregator}/?lang=en", timeout=10).text
    assert "Предотвращать" not in english
    pdf = httpx.get(f"{aggregator}/v1/report.pdf?lang=ru", timeout=60)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages).split())
    assert (
        "Предотвращать нерегулярную миграцию (тест)" in text and "Соглашения о сотрудничестве (тест)" in text
    )


def test_the_demo_shows_projects_lagging_and_refused_reports_within_a_minute(demo_stack: LocalStack) -> None:
    aggregator = f"http://127.0.0.1:{demo_stack.ports['aggregator']}"
    intake = f"http://127.0.0.1:{demo_stack.ports['intake']}"
    deadline = time.monotonic() + 90
    report: dict[str, Any] = {}
    while time.monotonic() < deadline:
        report = httpx.get(f"{aggregator}/v1/report", timeout=10).json()  # reads are open in the demo
        projects = [p for ids in report["projects_by_status"].values() for p in ids]
        if len(projects) >= 16 and report["action_point_status"].get("no_data", 37) == 0:
            break
        time.sleep(1)
    statuses = {p["id"]: p["status"] for p in report["priorities"]}
    assert statuses[5] == "behind", statuses  # its projects lag or fell silent
    assert "on_track" in report["action_point_status"] and report["action_point_status"]["behind"] > 0
    assert {"5.4", "5.5", "5.6"} <= set(report["stale_action_points"])  # SIM-PROTECT went silent
    assert "SIM-PROTECT" in report["projects_by_status"]["behind"]
    # Writes still need a token in the demo: intake refuses a post without one.
    assert httpx.post(f"{intake}/v1/events", content=b"{}", timeout=10).status_code == 401
    # The notifier tells the Reference Group (the mail lands in the SMTP sink's folder).
    mail = demo_stack.output.parent / "run" / "mail"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any(
        "Priority 5 is behind" in m.read_text() for m in mail.glob("*.eml")
    ):
        time.sleep(1)
    assert any("Priority 5 is behind" in m.read_text() for m in mail.glob("*.eml")), sorted(mail.glob("*"))


def test_ctrl_c_stops_every_process(demo_stack: LocalStack) -> None:
    local_stack = demo_stack
    children = _children(local_stack.process.pid)
    assert len(children) >= 6  # tansu, secantus, intake, aggregator, notifier, simulator
    local_stack.process.send_signal(signal.SIGINT)
    assert local_stack.process.wait(timeout=60) == 0
    assert "stopped" in local_stack.output.read_text()
    alive = {pid for pid in children if Path(f"/proc/{pid}").exists() and "Z" not in _state(pid)}
    assert alive == set()


def _state(pid: int) -> str:
    try:
        return (Path(f"/proc/{pid}") / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"
