"""The results framework: the shipped sample, and errors that name file, indicator and field."""

from __future__ import annotations

import textwrap

import pytest

from shared.domain.catalog import action_points
from shared.domain.framework import FrameworkError, load_framework, parse_framework


def test_the_sample_covers_every_action_point() -> None:
    framework = load_framework()
    assert set(framework.by_action_point) == set(action_points())
    assert any(i.milestones for i in framework.indicators)
    assert {i.aggregation for i in framework.indicators} == {"sum", "latest"}
    assert any(i.baseline > 0 for i in framework.indicators)


def problems_of(body: str) -> list[str]:
    with pytest.raises(FrameworkError) as caught:
        parse_framework(textwrap.dedent(body), "fw.yaml")
    return caught.value.problems


GOOD = """
  - id: ind-1.2-officers
    action_point: "1.2"
    name: Officers trained
    unit: officers
    aggregation: sum
    target: 100
"""


@pytest.mark.parametrize(
    ("indicator", "expected"),
    [
        ('action_point: "7.1"', "fw.yaml: indicator ind-x: action_point: '7.1' is not an action point"),
        ("target: 0\n    baseline: 5", "fw.yaml: indicator ind-x: target: 0 is not above the baseline 5"),
        ("target_date: 2031-06-30", "fw.yaml: indicator ind-x: target_date: 2031-06-30 is outside"),
        (
            "milestones: [{date: 2024-06-30, value: 10}]",
            "fw.yaml: indicator ind-x: milestones[0].date: 2024-06-30 is not between",
        ),
        (
            "milestones: [{date: 2026-06-30, value: 500}]",
            "fw.yaml: indicator ind-x: milestones[0].value: 500 is not between",
        ),
        ("aggregation: mean", "fw.yaml: indicator ind-x: aggregation: Input should be 'sum' or 'latest'"),
        ("colour: blue", "fw.yaml: indicator ind-x: colour: Extra inputs are not permitted"),
    ],
)
def test_each_error_names_file_indicator_and_field(indicator: str, expected: str) -> None:
    fields = {
        "id": "ind-x",
        "action_point": '"1.2"',
        "name": "n",
        "unit": "u",
        "aggregation": "sum",
        "target": "100",
    }
    for line in indicator.split("\n"):
        key, value = line.strip().split(": ", 1)
        fields[key] = value
    body = "indicators:\n  - " + "\n    ".join(f"{k}: {v}" for k, v in fields.items())
    found = problems_of(body)
    assert any(p.startswith(expected) for p in found), found


def test_duplicate_ids_and_every_problem_at_once() -> None:
    found = problems_of("indicators:" + GOOD + GOOD.replace('"1.2"', '"9.9"'))
    assert "fw.yaml: indicator ind-1.2-officers: id: appears more than once" in found
    assert any("'9.9' is not an action point" in p for p in found)


def test_missing_file_and_bad_yaml(tmp_path: pytest.TempPathFactory) -> None:
    with pytest.raises(FrameworkError, match="cannot be read"):
        load_framework(tmp_path / "nope.yaml")  # type: ignore[operator]
    assert problems_of("indicators: [")[0].startswith("fw.yaml: not YAML")
