"""The catalog against the adopted text of the Call for Action."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pycountry
import pytest

from shared.domain import catalog

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "call-for-action-2025-2030.txt"


@pytest.fixture(scope="module")
def reference_text() -> str:
    if not REFERENCE.is_file():
        pytest.skip(f"the team's shared folder is not beside the repository ({REFERENCE})")
    # Compare on words: the source file's line breaks and indentation are layout, not text.
    return re.sub(r"\s+", " ", REFERENCE.read_text(encoding="utf-8"))


def test_six_priorities_with_37_action_points() -> None:
    counts = [len(p.action_points) for p in catalog.priorities()]
    assert counts == [5, 6, 6, 6, 6, 8]
    assert len(catalog.action_points()) == 37
    assert list(catalog.action_points())[:3] == ["1.1", "1.2", "1.3"]
    assert list(catalog.action_points())[-1] == "6.8"


def test_priority_titles_are_verbatim(reference_text: str) -> None:
    for p in catalog.priorities():
        assert f"Priority Goal {p.id} {p.title} " in reference_text, p.id


def test_action_point_texts_are_verbatim_and_in_order(reference_text: str) -> None:
    position = 0
    for p in catalog.priorities():
        position = reference_text.index(f"Priority Goal {p.id} ", position)
        for ap in p.action_points:
            number = ap.id.split(".")[1]
            found = reference_text.find(f"{number}. {ap.text}", position)
            assert found >= 0, f"action point {ap.id} differs from the reference text"
            position = found


def test_action_point_texts_are_whole_sentences() -> None:
    for ap in catalog.action_points().values():
        assert ap.text[0].isupper() and ap.text[-1] in ".;", ap.id


def test_twgs_follow_priorities_one_to_three() -> None:
    assert {p.id: p.twg for p in catalog.priorities()} == {
        1: "law_enforcement",
        2: "legal_pathways",
        3: "return_reintegration",
        4: None,
        5: None,
        6: None,
    }


def test_silk_routes_countries_are_iso_codes() -> None:
    names = [pycountry.countries.get(alpha_3=c).name for c in catalog.SILK_ROUTES_COUNTRIES]
    assert names[0] == "Afghanistan" and names[-1] == "Pakistan"


def test_implementation_period() -> None:
    assert (date(2025, 1, 1), date(2030, 12, 31)) == (
        catalog.IMPLEMENTATION_START,
        catalog.IMPLEMENTATION_END,
    )
    assert len(catalog.CROSS_CUTTING) == 6
