"""The meeting pack as a workbook: one sheet per part, real numbers and dates (not text), so
that the Secretariat can sort, filter and chart them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.report.pack import MeetingPack
from shared.domain.readmodel import ROUTE_ROLES

STATUS = {"on_track": "on track", "at_risk": "at risk", "behind": "behind", "no_data": "no data"}


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
    sheet.freeze_panes = "A2"
    for n, name in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(n)].width = max(12, min(60, len(name) + 4))
    return sheet


def _naive(value: Any) -> Any:
    """Excel has no time zones: moments are written in UTC (the cover says so)."""
    return value.replace(tzinfo=None) if getattr(value, "tzinfo", None) is not None else value


def workbook(pack: MeetingPack) -> bytes:
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = "Cover"
    for row in (
        ("Budapest Process Call for Action 2025-2030: meeting pack",),
        ("Figures as of", pack.as_of),
        ("As known at (UTC)", _naive(pack.known_at) if pack.known_at else "all reports received so far"),
        ("Figures over", "every reported figure" if pack.figures == "reported" else "the approved figures"),
        ("Made at (UTC)", _naive(pack.made_at)),
        ("Changes since (UTC)", _naive(pack.since) if pack.since else "—"),
    ):
        cover.append(list(row))
    cover["A1"].font = Font(bold=True, size=14)
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 40
    _sheet(
        book,
        "Priorities",
        ("priority", "title", "status", "why", "action points behind or without data"),
        (
            (
                p.id,
                p.title,
                STATUS[p.status],
                p.why,
                sum(a.status in ("behind", "no_data") for a in p.action_points),
            )
            for p in pack.priorities
        ),
    )
    _sheet(
        book,
        "Action points",
        (
            "action point",
            "priority",
            "text",
            "status",
            "why",
            "stale",
            "activities",
            "last activity",
            "awaiting review",
        ),
        (
            (
                a.id,
                a.priority,
                a.text,
                STATUS[a.status],
                a.why,
                a.stale,
                a.activity_count,
                a.last_activity_at,
                a.awaiting_review,
            )
            for a in pack.action_points
        ),
    )
    _sheet(
        book,
        "Indicators",
        (
            "action point",
            "indicator",
            "name",
            "unit",
            "actual",
            "expected by now",
            "target",
            "target date",
            "ratio",
            "status",
            "why",
            "projected completion",
        ),
        (
            (
                a.id,
                i.id,
                i.name,
                i.unit,
                i.actual,
                i.expected_value,
                i.target,
                i.target_date,
                i.ratio,
                STATUS[i.status],
                i.why,
                i.projected_completion,
            )
            for a in pack.action_points
            for i in a.indicators
        ),
    )
    _sheet(
        book,
        "Changes",
        ("what", "id", "name", "status then", "status now", "figure then", "figure now", "why now"),
        (
            (
                m.kind.replace("_", " "),
                m.id,
                m.name,
                STATUS[m.before] if m.before else "not there",
                STATUS[m.after],
                m.actual_before,
                m.actual_after,
                m.why,
            )
            for m in pack.moved
        ),
    )
    _sheet(
        book,
        "Silent projects",
        (
            "project",
            "title",
            "implementer",
            "days without report",
            "reporting cadence (days)",
            "last report (UTC)",
            "why",
        ),
        (
            (
                p.id,
                p.title,
                p.implementer,
                p.days_without_report,
                p.reporting_cadence_days,
                _naive(p.last_report_at),
                p.why,
            )
            for p in pack.silent
        ),
    )
    _sheet(
        book,
        "Countries",
        (
            "country",
            "name",
            "Silk Routes",
            "projects",
            "activities",
            "as origin",
            "as transit",
            "as destination",
            "participants",
            "women",
            "men",
        ),
        (
            (
                c.code,
                c.name,
                c.silk_routes,
                len(c.projects),
                c.activity_count,
                *(c.route_roles.get(role, 0) for role in ROUTE_ROLES),
                c.participants.total,
                c.participants.women,
                c.participants.men,
            )
            for c in pack.countries
        ),
    )
    people = pack.participants
    _sheet(
        book,
        "Participants",
        ("total", "women", "men", "not given"),
        [(people.total, people.women, people.men, people.total - people.women - people.men)],
    )
    _sheet(
        book,
        "Alerts",
        ("severity", "alert", "since (UTC)"),
        ((a.severity, a.summary, _naive(a.since)) for a in pack.alerts),
    )
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
