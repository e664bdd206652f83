"""A row of a report sheet (one activity or one measurement) as a contract event, pure.

Every event's id is derived from what the row says, so importing the same file again
produces the same ids, which intake knows already: nothing is added twice.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from dateutil.parser import isoparse

from shared.events.models import EventType

ACTIVITY_COLUMNS = (
    "activity_id",
    "action_points",
    "title",
    "kind",
    "status",
    "start_date",
    "end_date",
    "countries",
    "participants_total",
    "participants_women",
    "participants_men",
    "cross_cutting",
    "notes",
)
MEASUREMENT_COLUMNS = ("indicator_id", "value", "period_start", "period_end", "countries")
COLUMNS = ("record", "project_id", "reported_at", *ACTIVITY_COLUMNS, *MEASUREMENT_COLUMNS[:-1])
RECORD_TYPES = {"activity": EventType.ACTIVITY_REPORTED, "measurement": EventType.INDICATOR_MEASURED}
LIST_SEPARATOR = re.compile(r"[;,]")


class RowError(Exception):
    """The row cannot become an event; names the column."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(f"{column}: {message}")
        self.column, self.message = column, message


@dataclass(frozen=True)
class RowEvent:
    """What a row reports: the event's type, data, id and time."""

    event_type: EventType
    data: dict[str, Any]
    event_id: str
    time: datetime


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _list(text: str) -> list[str]:
    return [part.strip() for part in LIST_SEPARATOR.split(text) if part.strip()]


def _number(row: Mapping[str, str], column: str) -> float | int | None:
    text = row.get(column, "")
    if not text:
        return None
    try:
        number = float(text)
    except ValueError:
        raise RowError(column, f"{text!r} is not a number") from None
    return int(number) if number.is_integer() else number


def _countries(text: str) -> list[dict[str, str]]:
    """PAK:origin;AFG -> [{"code": "PAK", "route_role": "origin"}, {"code": "AFG"}]"""
    countries = []
    for part in _list(text):
        code, _, role = part.partition(":")
        countries.append({"code": code.strip().upper(), **({"route_role": role.strip()} if role else {})})
    return countries


def _activity(row: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: row[name] for name in ("activity_id", "title", "kind", "status", "start_date") if row.get(name)
    }
    data["action_points"] = _list(row.get("action_points", ""))
    for name in ("end_date", "notes"):
        if row.get(name):
            data[name] = row[name]
    data["countries"] = _countries(row.get("countries", ""))
    data["cross_cutting"] = _list(row.get("cross_cutting", ""))
    people = {sex: _number(row, f"participants_{sex}") for sex in ("total", "women", "men")}
    if any(v is not None for v in people.values()):
        data["participants"] = {k: v for k, v in people.items() if v is not None}
    return data


def _measurement(row: Mapping[str, str]) -> dict[str, Any]:
    data: dict[str, Any] = {
        name: row[name] for name in ("indicator_id", "period_start", "period_end") if row.get(name)
    }
    data["value"] = _number(row, "value")
    if row.get("countries"):
        data["countries"] = [c["code"] for c in _countries(row["countries"])]
    return data


def _reported_at(row: Mapping[str, str], default: datetime) -> datetime:
    text = row.get("reported_at", "")
    if not text:
        return default
    try:
        moment = isoparse(text)
    except ValueError:
        raise RowError("reported_at", f"{text!r} is not a date or timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def row_event(cells: Mapping[str, Any], imported_at: datetime) -> RowEvent:
    """The event a row reports; RowError names the column when it cannot be one."""
    row = {str(k).strip().lower(): _text(v) for k, v in cells.items() if k is not None}
    kind = row.get("record", "").lower()
    if kind not in RECORD_TYPES:
        raise RowError("record", f"must be activity or measurement, not {row.get('record', '')!r}")
    if not row.get("project_id"):
        raise RowError("project_id", "is required")
    fields = _activity(row) if kind == "activity" else _measurement(row)
    data = {"project_id": row["project_id"].upper(), **fields}
    event_type = RECORD_TYPES[kind]
    digest = hashlib.sha256(json.dumps([str(event_type), data], sort_keys=True).encode()).hexdigest()
    return RowEvent(event_type, data, f"import-{digest[:32]}", _reported_at(row, imported_at))


def column_of(field: str) -> str:
    """The sheet column of an event field: data.participants.total -> participants_total."""
    if field in ("time",):
        return "reported_at"
    path = re.sub(r"\[\d+\]", "", field.removeprefix("data.")).split(".")
    if path[0] == "participants" and len(path) > 1:
        return f"participants_{path[1]}"
    return path[0]
