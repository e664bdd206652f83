"""The fixed catalog of the Call for Action 2025-2030: priorities, action points, TWGs, period."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

import yaml

IMPLEMENTATION_START = date(2025, 1, 1)
IMPLEMENTATION_END = date(2030, 12, 31)

CROSS_CUTTING: frozenset[str] = frozenset(
    {
        "whole_of_route",
        "multi_stakeholder",
        "human_rights",
        "anti_discrimination",
        "vulnerability",
        "data_reliability",
    }
)

# Thematic Working Groups and the priority goal each follows.
TWG_PRIORITY: dict[str, int] = {
    "law_enforcement": 1,
    "legal_pathways": 2,
    "return_reintegration": 3,
}

# Their names, as the Ministerial Declaration of 2024 sets them up ("the three Thematic
# Working Groups, respectively on law enforcement cooperation to counter irregular migration,
# return and reintegration and legal pathways for migration").
TWG_NAMES: dict[str, str] = {
    "law_enforcement": "Thematic Working Group on Law Enforcement Cooperation to Counter Irregular Migration",
    "legal_pathways": "Thematic Working Group on Legal Pathways for Migration",
    "return_reintegration": "Thematic Working Group on Return and Reintegration",
}

SILK_ROUTES_COUNTRIES: tuple[str, ...] = ("AFG", "BGD", "IRN", "IRQ", "PAK")


@dataclass(frozen=True)
class ActionPoint:
    id: str
    priority: int
    text: str


@dataclass(frozen=True)
class Priority:
    id: int
    title: str
    action_points: tuple[ActionPoint, ...]

    @property
    def twg(self) -> str | None:
        return next((slug for slug, p in TWG_PRIORITY.items() if p == self.id), None)


def _build(raw: dict[str, Any]) -> tuple[Priority, ...]:
    return tuple(
        Priority(
            id=int(p["id"]),
            title=str(p["title"]),
            action_points=tuple(
                ActionPoint(id=str(ap["id"]), priority=int(p["id"]), text=str(ap["text"]))
                for ap in p["action_points"]
            ),
        )
        for p in raw["priorities"]
    )


@cache
def priorities() -> tuple[Priority, ...]:
    """The six priority goals in order, each with its action points."""
    text = resources.files("shared").joinpath("data/call_for_action.yaml").read_text("utf-8")
    return _build(yaml.safe_load(text))


@cache
def action_points() -> dict[str, ActionPoint]:
    """Every action point by id ("1.1" .. "6.8")."""
    return {ap.id: ap for p in priorities() for ap in p.action_points}


def priority(priority_id: int) -> Priority:
    return priorities()[priority_id - 1]


def is_action_point(action_point_id: str) -> bool:
    return action_point_id in action_points()
