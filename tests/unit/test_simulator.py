"""The simulated reports pass intake's checks, except the flawed ones, which fail as meant;
and the paces show in the figures (lagging projects' action points fall behind)."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta

from services.intake.pipeline import Accepted, IntakePipeline
from services.simulator.projects import PROJECTS, Pace
from services.simulator.timeline import SimEvent, Timeline, live_activity
from shared.adapters.dlq import Refused
from shared.clock import fixed_clock
from shared.domain.framework import load_framework
from shared.domain.projects import Credentials, RegisteredProject
from shared.events.codec import KafkaRecord
from shared.events.produce import cloud_event, kafka_binary, signed
from tests.fakes import KEYS, FakeDirectory, FakeSeenStore

NOW = datetime(2026, 11, 22, 12, tzinfo=UTC)
FRAMEWORK = load_framework(None)


CREDENTIALS = {p.project_id: Credentials.issue(p.project_id) for p in PROJECTS}


def registered_sims() -> FakeDirectory:
    return FakeDirectory(
        *(RegisteredProject.of(p.registration(), CREDENTIALS[p.project_id], NOW) for p in PROJECTS)
    )


def timeline(seed: int = 7, tag: str = "run") -> list[SimEvent]:
    return Timeline(FRAMEWORK, date(2025, 1, 1), NOW.date() - timedelta(days=1), seed, tag).build(PROJECTS)


async def test_every_simulated_report_gets_the_verdict_it_was_made_for() -> None:
    events = timeline()
    records = []
    for offset, sim in enumerate(events):
        # Signed as the simulator's Sender signs: with the project's own key.
        event = signed(
            cloud_event(sim.event_type, sim.data, sim.at, sim.event_id),
            CREDENTIALS[sim.project.project_id].signing_key.sign,
        )
        key, headers, value = kafka_binary(event)
        records.append(
            KafkaRecord("raw", 0, offset, key, value, tuple((k, v.encode()) for k, v in headers.items()))
        )
    pipeline = IntakePipeline(
        registered_sims(),
        FakeSeenStore(),
        fixed_clock(NOW),
        1 << 20,
        timedelta(minutes=5),
        KEYS,
        lambda: frozenset(FRAMEWORK.by_id),
    )
    outcomes = await pipeline.process(records)
    verdicts = [None if isinstance(o, Accepted) else str(o.rejection.reason) for o in outcomes]
    assert verdicts == [sim.flaw for sim in events]
    assert [o for o in outcomes if isinstance(o, Refused)], "a few flawed reports, on purpose"
    assert len(events) > 500 and all(sim.at <= NOW for sim in events)


def test_the_timeline_covers_every_action_point_and_each_pace() -> None:
    events = timeline()
    reported = {ap for e in events for ap in e.data.get("action_points", [e.data.get("action_point")]) if ap}
    assert reported >= {ap for p in PROJECTS for ap in p.action_points}
    by_pace = Counter(e.project.pace for e in events)
    assert set(by_pace) == set(Pace)
    silent = [e for e in events if e.project.silent_from is not None]
    assert all(e.at.date() < e.project.silent_from for e in silent if e.project.silent_from)


def test_same_seed_same_reports_with_ids_of_each_run() -> None:
    first, second = timeline(tag="a"), timeline(tag="b")
    assert [e.data for e in first] == [e.data for e in second]
    assert not {e.event_id for e in first} & {e.event_id for e in second}
    assert [e.data for e in timeline(seed=8)] != [e.data for e in first]


def test_live_activities_come_from_projects_still_reporting() -> None:
    rng = random.Random(1)
    projects = {live_activity(PROJECTS, NOW, rng, f"l{n}").project.project_id for n in range(200)}  # type: ignore[union-attr]
    assert "SIM-PROTECT" not in projects and "SIM-LABOUR-MOB" not in projects
    assert len(projects) > 5
