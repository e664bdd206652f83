"""What moved between the figures known at two moments."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.domain.changes import what_moved
from shared.domain.facts import fact_of_document
from shared.domain.factset import FactSet
from shared.domain.readmodel import build_read_model
from shared.domain.status import Status, Thresholds
from shared.domain.views import ReadModel
from shared.events.models import EventType
from tests.factories import measurement_data
from tests.readmodel_facts import FRAMEWORK, PID, T0, base_documents, document

AS_OF = date(2026, 7, 1)


def known_at(documents: list[dict[str, Any]], minutes: float) -> ReadModel:
    moment = T0 + timedelta(minutes=minutes)
    facts = FactSet(fact_of_document(d) for d in documents if d["stored_at"] <= moment)
    return build_read_model(facts, FRAMEWORK, AS_OF, Thresholds())


def test_what_moved_names_each_changed_status_and_figure() -> None:
    big = document(EventType.INDICATOR_MEASURED, measurement_data(PID, value=700), 9, "m1-corrected")
    documents = [*base_documents(), big]
    before, after = known_at(documents, 5), known_at(documents, 10)
    moved = {m.subject: m for m in what_moved(before, after)}
    indicator = moved["indicator:ind-3.1-returnees-supported"]
    assert (indicator.actual_before, indicator.actual_after) == (320, 900)  # 120 corrected to 700
    assert (indicator.before, indicator.after) == (Status.BEHIND, Status.ON_TRACK)
    assert indicator.why.startswith("ratio 1.20 ≥ 0.90")
    assert (
        moved["action_point:3.1"].after is Status.ON_TRACK
        and moved["action_point:3.1"].before is Status.BEHIND
    )
    assert "priority:3" not in moved  # five of its six action points are still without data
    assert what_moved(after, after) == []


def test_a_project_registered_since_is_new() -> None:
    documents = base_documents()
    moved = {m.subject: m for m in what_moved(known_at(documents, -1), known_at(documents, 10))}
    project = moved[f"project:{PID}"]
    assert project.before is None and project.after is Status.BEHIND and "silent" in project.why
