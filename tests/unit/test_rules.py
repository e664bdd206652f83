"""The falling-behind rules on a read model built from facts: what fires, with what identity."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.notifier.evaluator import receivers_of
from services.notifier.rules import AlertKind, Severity, evaluate, fingerprint
from services.simulator.projects import PROJECTS, Pace
from services.simulator.timeline import Timeline
from shared.domain.facts import fact_of
from shared.domain.factset import FactSet
from shared.domain.framework import load_framework
from shared.domain.readmodel import build_read_model
from shared.domain.status import Thresholds
from shared.events.models import EventType


def test_an_empty_log_makes_every_priority_behind_with_stable_fingerprints() -> None:
    model = build_read_model(FactSet(), load_framework(None), date(2026, 6, 1), Thresholds())
    findings = evaluate(model)
    behind = [f for f in findings if f.kind is AlertKind.PRIORITY_BEHIND]
    assert [f.subject for f in behind] == [f"priority:{n}" for n in range(1, 7)]
    assert all(f.severity is Severity.CRITICAL for f in behind)
    assert behind[0].fingerprint == fingerprint(AlertKind.PRIORITY_BEHIND, "priority:1")
    assert evaluate(model) == findings  # pure: same model, same findings


def test_routing_adds_the_twg_of_priorities_one_to_three() -> None:
    model = build_read_model(FactSet(), load_framework(None), date(2026, 6, 1), Thresholds())
    by_subject = {f.subject: receivers_of(f) for f in evaluate(model) if f.kind is AlertKind.PRIORITY_BEHIND}
    assert by_subject["priority:1"] == ["reference_group", "law_enforcement"]
    assert by_subject["priority:3"] == ["reference_group", "return_reintegration"]
    assert by_subject["priority:5"] == ["reference_group"]


def test_on_the_simulated_projects_silence_and_missed_milestones_are_found() -> None:
    framework = load_framework(None)
    as_of = date(2026, 11, 22)
    events = Timeline(framework, date(2025, 1, 1), as_of, 7, "r").build(PROJECTS)
    facts = FactSet()
    for p in PROJECTS:  # registrations, as `cfamon simulate` makes them
        data = p.registration().model_dump(mode="json", exclude_none=True)
        facts.apply(
            fact_of(str(EventType.PROJECT_REGISTERED), data, datetime(2025, 1, 1, tzinfo=UTC), p.project_id)
        )
    for e in events:
        if e.flaw is None:
            facts.apply(fact_of(str(e.event_type), e.data, e.at, e.event_id))
    findings = evaluate(build_read_model(facts, framework, as_of, Thresholds()))
    silent = {f.subject for f in findings if f.kind is AlertKind.PROJECT_SILENT}
    assert silent == {"project:SIM-LABOUR-MOB", "project:SIM-PROTECT"}
    missed = {f.subject.split("/")[0] for f in findings if f.kind is AlertKind.MILESTONE_MISSED}
    lagging = {f"milestone:{p.project_id}" for p in PROJECTS if p.pace is Pace.LAGGING}
    assert lagging <= missed
    protect = next(f for f in findings if f.subject == "project:SIM-PROTECT")
    assert protect.priorities == (5,) and "has not reported for" in protect.summary
