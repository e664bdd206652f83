"""The weekly digest's text: each priority with its status and why."""

from __future__ import annotations

from datetime import UTC, date, datetime

from services.notifier.digest import digest_lines
from shared.domain.factset import FactSet
from shared.domain.readmodel import build_read_model
from shared.domain.status import Thresholds
from shared.i18n import messages
from tests.readmodel_facts import FRAMEWORK, base_facts


def test_each_priority_in_the_digest_says_why() -> None:
    model = build_read_model(FactSet(base_facts()), FRAMEWORK, date(2026, 7, 1), Thresholds())
    lines = digest_lines(model, [], datetime(2026, 6, 24, tzinfo=UTC))
    at = next(n for n, line in enumerate(lines) if line.startswith("Priority 3: BEHIND"))
    assert lines[at + 1] == (
        "  why: 6 of 6 action points behind or without data (3.1, 3.2, 3.3, 3.4, 3.5, 3.6) ≥ one third"
    )
    assert sum(line.startswith("  why: ") for line in lines) == 6


def test_the_digest_in_russian() -> None:
    model = build_read_model(FactSet(base_facts()), FRAMEWORK, date(2026, 7, 1), Thresholds())
    lines = digest_lines(model, [], datetime(2026, 6, 24, tzinfo=UTC), messages("ru"))
    assert lines[0] == "Положение по Призыву к действию на 1 июля 2026\u202fг.:"
    at = next(n for n, line in enumerate(lines) if line.startswith("Приоритет 3: ОТСТАВАНИЕ"))
    assert lines[at + 1] == (
        "  почему: 6 из 6 пунктов действий отстают или без данных (3.1, 3.2, 3.3, 3.4, 3.5, 3.6) ≥ одной трети"
    )
    assert "С 24 июня 2026\u202fг.:" in lines and "  ни одно оповещение не возникло и не снято" in lines
