"""The results framework: indicators with baselines, targets and milestones (configuration, not code)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from shared.domain.catalog import IMPLEMENTATION_END, IMPLEMENTATION_START, is_action_point
from shared.events.rejections import field_path, plain_message

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "results-framework.yaml"


class FrameworkError(Exception):
    """The framework file is wrong; one line per problem, each naming file, indicator and field."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Milestone(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    date: date
    value: float


class Indicator(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9.\-]{2,79}$")]
    action_point: str
    name: Annotated[str, StringConstraints(min_length=1, max_length=200)]
    unit: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    aggregation: Literal["sum", "latest"]
    baseline: float = 0.0
    target: float
    target_date: date = IMPLEMENTATION_END
    milestones: tuple[Milestone, ...] = ()


class ResultsFramework(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    indicators: tuple[Indicator, ...] = Field(min_length=1)

    @cached_property
    def by_id(self) -> dict[str, Indicator]:
        return {i.id: i for i in self.indicators}

    @cached_property
    def by_action_point(self) -> dict[str, tuple[Indicator, ...]]:
        grouped: dict[str, list[Indicator]] = defaultdict(list)
        for indicator in self.indicators:
            grouped[indicator.action_point].append(indicator)
        return {ap: tuple(items) for ap, items in grouped.items()}


def _rules(indicator: Indicator) -> list[tuple[str, str]]:
    """(field, problem) for each rule the schema alone cannot say."""
    found: list[tuple[str, str]] = []
    if not is_action_point(indicator.action_point):
        found.append(("action_point", f"{indicator.action_point!r} is not an action point (1.1 .. 6.8)"))
    if indicator.target <= indicator.baseline:
        found.append(("target", f"{indicator.target:g} is not above the baseline {indicator.baseline:g}"))
    if not IMPLEMENTATION_START < indicator.target_date <= IMPLEMENTATION_END:
        found.append(("target_date", f"{indicator.target_date} is outside the implementation period"))
    previous_date, previous_value = IMPLEMENTATION_START, indicator.baseline
    for n, milestone in enumerate(indicator.milestones):
        where = f"milestones[{n}]"
        if not previous_date < milestone.date < indicator.target_date:
            found.append(
                (f"{where}.date", f"{milestone.date} is not between {previous_date} and the target date")
            )
        if not previous_value <= milestone.value <= indicator.target:
            found.append(
                (f"{where}.value", f"{milestone.value:g} is not between {previous_value:g} and the target")
            )
        previous_date, previous_value = milestone.date, milestone.value
    return found


def _indicator_name(raw: Any, index: int) -> str:
    if isinstance(raw, dict) and isinstance(raw.get("indicators"), list):
        items = raw["indicators"]
        if index < len(items) and isinstance(items[index], dict) and "id" in items[index]:
            return f"indicator {items[index]['id']}"
    return f"indicators[{index}]"


def parse_framework(text: str, source: str) -> ResultsFramework:
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise FrameworkError([f"{source}: not YAML: {error}".replace("\n", " ")]) from None
    try:
        framework = ResultsFramework.model_validate(raw)
    except ValidationError as error:
        problems = []
        for e in error.errors():
            loc = tuple(e["loc"])
            if len(loc) >= 2 and loc[0] == "indicators" and isinstance(loc[1], int):
                where = f"{_indicator_name(raw, loc[1])}: {field_path('', loc[2:]) or '(the indicator)'}"
            else:
                where = field_path("", loc) or "(the file)"
            problems.append(f"{source}: {where}: {plain_message(e['msg'])}")
        raise FrameworkError(problems) from None
    problems = [
        f"{source}: indicator {indicator.id}: {field}: {problem}"
        for indicator in framework.indicators
        for field, problem in _rules(indicator)
    ]
    seen: set[str] = set()
    for indicator in framework.indicators:
        if indicator.id in seen:
            problems.append(f"{source}: indicator {indicator.id}: id: appears more than once")
        seen.add(indicator.id)
    if problems:
        raise FrameworkError(problems)
    return framework


def load_framework(path: Path | None = None) -> ResultsFramework:
    """The framework at `path` (default: the shipped sample); FrameworkError if it is wrong."""
    path = path or SAMPLE
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FrameworkError([f"{path}: cannot be read ({error.strerror})"]) from None
    return parse_framework(text, str(path))
