"""Events through real Kafka into the read model: the API answers the figures worked out by
hand as of two dates, statuses go out on bp.progress.v1, a reloaded framework changes the
figures, and a rebuild from the event log gives the same read model."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.rebuild import rebuild
from services.aggregator.settings import AggregatorSettings
from services.aggregator.store import MongoReadModelStore
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.adapters.framework_store import FrameworkSource
from shared.adapters.mongo import EVENTS, connect
from shared.adapters.registry import ProjectRegistry
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import NOW, activity_data, project_id, registered, registration_data
from tests.integration.helpers import eventually, running
from tests.kafka_helpers import binary, produce, read_topic, sdk_event

pytestmark = pytest.mark.integration
DAY0 = date(2025, 1, 1)
FRAMEWORK = """
indicators:
  - id: ind-1.2-officers
    action_point: "1.2"
    name: Officers trained
    unit: officers
    aggregation: sum
    target: 400
    target_date: 2026-02-05          # day 400
  - id: ind-3.1-arrangements
    action_point: "3.1"
    name: Arrangements in force
    unit: arrangements
    aggregation: latest
    baseline: 2
    target: 10
    target_date: 2026-02-05
"""


def day(n: int) -> str:
    return (DAY0 + timedelta(days=n)).isoformat()


def measurement(pid: str, indicator: str, value: float, end: int) -> dict[str, Any]:
    return {
        "project_id": pid,
        "indicator_id": indicator,
        "value": value,
        "period_start": day(end - 29),
        "period_end": day(end),
    }


@dataclass
class Stack:
    api: httpx.AsyncClient
    intake: IntakeSettings
    aggregator: AggregatorSettings
    app: Any


@pytest.fixture
async def stack_with_api(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[Stack]:
    framework = tmp_path / "framework.yaml"
    framework.write_text(FRAMEWORK)
    clock = fixed_clock(NOW + timedelta(days=1))
    common = {"results_framework": framework, "config_refresh_seconds": 0.2, "public_reads": True}
    intake = service_settings(IntakeSettings, stack, isolation, **common)
    aggregator = service_settings(
        AggregatorSettings, stack, isolation, progress_min_interval_seconds=0.05, **common
    )
    aggregator_app = create_aggregator(aggregator, clock)
    async with running(create_intake(intake, clock), aggregator_app):
        transport = httpx.ASGITransport(app=aggregator_app)
        async with httpx.AsyncClient(transport=transport, base_url="http://aggregator") as api:
            yield Stack(api, intake, aggregator, aggregator_app)
    mongo = connect(stack.mongodb_url)
    await mongo.drop_database(intake.mongodb_db)
    await mongo.close()


async def test_figures_statuses_progress_reload_and_rebuild(stack_with_api: Stack) -> None:
    s = stack_with_api
    pid = project_id()
    mongo = connect(s.intake.mongodb_url)
    db = mongo[s.intake.mongodb_db]
    await ProjectRegistry(db).add(registered(pid, action_points=("1.2", "3.1", "3.2")))
    registration = {**registration_data(pid), "action_points": ["1.2", "3.1", "3.2"]}
    events = [
        (EventType.PROJECT_REGISTERED, registration),
        (EventType.INDICATOR_MEASURED, measurement(pid, "ind-1.2-officers", 30, 50)),
        (EventType.INDICATOR_MEASURED, measurement(pid, "ind-1.2-officers", 40, 90)),
        (EventType.INDICATOR_MEASURED, measurement(pid, "ind-1.2-officers", 500, 150)),
        (EventType.INDICATOR_MEASURED, measurement(pid, "ind-3.1-arrangements", 4, 30)),
        (EventType.INDICATOR_MEASURED, measurement(pid, "ind-3.1-arrangements", 5, 80)),
        (EventType.INDICATOR_MEASURED, measurement(pid, "ind-3.1-arrangements", 9, 200)),
        (
            EventType.ACTIVITY_REPORTED,
            activity_data(pid, "A-1", action_points=["3.2"], start_date=day(10), end_date=None),
        ),
    ]
    await produce(
        s.intake.kafka_bootstrap_servers,
        s.intake.topics.raw,
        [binary(sdk_event(t, d, f"e-{n}")) for n, (t, d) in enumerate(events)],
    )

    async def get(path: str, as_of: int) -> Any:
        response = await s.api.get(path, params={"as_of": day(as_of)})
        assert response.status_code == 200, response.text
        return response.json()

    async def all_counted() -> bool:
        response = await s.api.get("/v1/action-points/3.2", params={"as_of": day(100)})
        ap12 = await s.api.get("/v1/action-points/1.2", params={"as_of": day(200)})
        return (
            response.status_code == 200
            and response.json()["activity_count"] == 1
            and ap12.json()["indicators"][0]["actual"] == 570
        )

    await eventually(all_counted, what="every event in the read model")

    # Day 100 (2025-04-11): officers 30+40 = 70 of 400 -> progress 0.175; expected 100/400 = 0.25;
    # ratio 0.7 -> at risk. Arrangements: latest 5, baseline 2, target 10 -> (5-2)/8 = 0.375, ratio 1.5.
    ap12 = await get("/v1/action-points/1.2", 100)
    [officers] = ap12["indicators"]
    assert (officers["actual"], officers["progress"], officers["expected"]) == (70, 0.175, 0.25)
    assert officers["ratio"] == pytest.approx(0.7) and officers["status"] == "at_risk"
    assert ap12["status"] == "at_risk"
    ap31 = await get("/v1/action-points/3.1", 100)
    assert (ap31["indicators"][0]["actual"], ap31["indicators"][0]["ratio"], ap31["status"]) == (
        5,
        1.5,
        "on_track",
    )
    ap32 = await get("/v1/action-points/3.2", 100)
    assert (ap32["status"], ap32["stale"], ap32["last_activity_at"]) == ("on_track", False, day(10))
    # Priority 1: 1.2 at risk, the four others without indicators or activity: no data -> behind.
    assert (await get("/v1/priorities/1", 100))["status"] == "behind"

    # The officers' 70 drills down to the measurements behind it, as the log stored them;
    # the 500 of a period ending on day 150 is listed, not counted on day 100.
    listed = (await get("/v1/indicators/ind-1.2-officers/measurements", 100))["items"]
    assert [(m["event_id"], m["value"], m["state"], m["counted"]) for m in listed] == [
        ("e-1", 30, "current", True),
        ("e-2", 40, "current", True),
        ("e-3", 500, "current", False),
    ]
    assert all(m["project_id"] == pid and m["received_at"] for m in listed)
    assert (await get("/v1/indicators/ind-1.2-officers", 100))["reports"]["counted"] == 2
    assert "data.indicator_id_1" in await db[EVENTS].index_information()

    # Day 200 (2025-07-20): officers 570 -> 1.425 of an expected 0.5: on track; arrangements 9 ->
    # 0.875 of 0.5: on track; 3.2's only activity was on day 10, 190 days ago: stale, at risk.
    assert (await get("/v1/action-points/1.2", 200))["status"] == "on_track"
    assert (await get("/v1/action-points/3.1", 200))["indicators"][0]["progress"] == 0.875
    ap32 = await get("/v1/action-points/3.2", 200)
    assert (ap32["status"], ap32["stale"]) == ("at_risk", True)

    # Status changes went out on bp.progress.v1, keyed by subject.
    def subjects(records: list[Any]) -> set[str]:
        return {r.key.decode() for r in records}

    progress = await read_topic(
        s.intake.kafka_bootstrap_servers,
        s.aggregator.topics.progress,
        lambda r: {"priority:1", "action_point:1.2", f"project:{pid}"} <= subjects(r),
    )
    assert {"priority:1", "action_point:1.2", f"project:{pid}"} <= subjects(progress)
    first = json.loads(next(r for r in progress if r.key == b"action_point:1.2").value)
    assert {"subject", "kind", "status", "previous", "as_of", "changed_at"} <= first.keys()

    # A reloaded framework changes the figures, without losing an event.
    harder = FRAMEWORK.replace("target: 400", "target: 100000")
    await FrameworkSource(db, None).save(harder, "harder.yaml", NOW)

    async def reloaded() -> bool:
        body = (await s.api.get("/v1/action-points/1.2", params={"as_of": day(200)})).json()
        return body["indicators"][0]["target"] == 100000

    await eventually(reloaded, what="the reloaded framework in the read model")
    assert (await get("/v1/action-points/1.2", 200))["indicators"][0]["actual"] == 570

    async def progress_told() -> bool:
        records = await read_topic(
            s.intake.kafka_bootstrap_servers, s.aggregator.topics.progress, lambda r: False, timeout=1
        )
        return any(r.key == b"action_point:1.2" and json.loads(r.value)["previous"] for r in records)

    await eventually(progress_told, what="the status change of 1.2 on bp.progress.v1")

    # A rebuild from the event log equals the incrementally maintained snapshots.
    framework = await FrameworkSource(db, None).current()
    snapshots = MongoReadModelStore(db)
    result = await rebuild(snapshots, framework, s.aggregator.thresholds, (NOW + timedelta(days=1)).date())
    assert result.events == len(events) and result.compared >= 37 + 6 + 1
    assert result.differing == []

    # As known a second before the aggregator stored them (its clock: NOW + 1 day), none of the
    # events; as known then, all of them. Neither compares nor writes snapshots.
    stored = NOW + timedelta(days=1)
    day_after = stored.date()
    before = await rebuild(
        snapshots, framework, s.aggregator.thresholds, day_after, known_at=stored - timedelta(seconds=1)
    )
    assert (before.events, before.facts, before.snapshots, before.compared) == (0, 0, 0, 0)
    then = await rebuild(snapshots, framework, s.aggregator.thresholds, day_after, known_at=stored)
    assert (then.events, then.model.known_at) == (len(events), stored)
    assert [p.status for p in then.model.priorities] == [p.status for p in result.model.priorities]
    # And the read API as known then, the same.
    known = await s.api.get(
        "/v1/priorities", params={"as_of": day_after.isoformat(), "known_at": "2020-01-01T00:00:00Z"}
    )
    assert known.status_code == 200, known.text
    assert {p["status"] for p in known.json()["items"]} == {"behind"}  # nothing received yet then
    await mongo.close()
