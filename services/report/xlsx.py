"""The meeting pack as a workbook: one sheet per part, real numbers and dates (not text), so
that the Secretariat can sort, filter and chart them."""

from __future__ import annotations

import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from services.report.pack import MeetingPack, translated
from shared.domain.readmodel import ROUTE_ROLES
from shared.domain.status import STATUS_NAMES
from shared.domain.translations import ENGLISH_TEXTS, CatalogTexts
from shared.i18n import Messages, messages


def _sheet(book: Workbook, title: str, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Worksheet:
    sheet: Worksheet = book.create_sheet(title)
    sheet.append(list(header))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(list(row))
        for cell in sheet[sheet.max_row]:
            if cell.data_type == "f":  # a reported text starting with "=": text, never a formula
                cell.data_type = "s"
    sheet.freeze_panes = "A2"
    for n, name in enumerate(header, 1):
        sheet.column_dimensions[get_column_letter(n)].width = max(12, min(60, len(name) + 4))
    return sheet


def _naive(value: Any) -> Any:
    """Excel has no time zones: moments are written in UTC (the cover says so)."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


class _Words:
    """A language's words for the sheets: the catalog's gettext, status and kinds of change."""

    def __init__(self, language: Messages) -> None:
        _ = self.gettext = language.gettext
        self.said = language.said
        self.status: dict[str, str] = {status: _(name) for status, name in STATUS_NAMES.items()}
        self.kinds = {
            "priority": _("priority"),
            "action_point": _("action point"),
            "indicator": _("indicator"),
            "project": _("project"),
        }


def workbook(pack: MeetingPack, language: str = "en", texts: CatalogTexts = ENGLISH_TEXTS) -> bytes:
    """The workbook, its sheets and headings in `language`, the Call for Action's texts as
    `texts` gives them; the figures are numbers and dates."""
    pack = translated(pack, texts)
    words = _Words(messages(language))
    _ = words.gettext
    book = Workbook()
    cover = book.active
    assert cover is not None
    cover.title = _("Cover")
    for row in (
        (_("Budapest Process Call for Action 2025-2030: meeting pack"),),
        (_("Figures as of"), pack.as_of),
        (
            _("As known at (UTC)"),
            _naive(pack.known_at) if pack.known_at else _("all reports received so far"),
        ),
        (
            _("Figures over"),
            _("every reported figure") if pack.figures == "reported" else _("the approved figures"),
        ),
        (_("Made at (UTC)"), _naive(pack.made_at)),
        (_("Changes since (UTC)"), _naive(pack.since) if pack.since else "—"),
    ):
        cover.append(list(row))
    if language != "en" and texts.language != language:
        cover.append(
            [
                _(
                    "The texts of the Call for Action and the names of indicators are given in "
                    "English: no official translation has been loaded."
                )
            ]
        )
    cover["A1"].font = Font(bold=True, size=14)
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 40
    _figure_sheets(book, pack, words)
    _change_sheets(book, pack, words)
    _place_sheets(book, pack, words)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _figure_sheets(book: Workbook, pack: MeetingPack, words: _Words) -> None:
    """The priorities, the action points and their indicators."""
    _, status = words.gettext, words.status
    _sheet(
        book,
        _("Priorities"),
        (_("priority"), _("title"), _("status"), _("why"), _("action points behind or without data")),
        (
            (
                p.id,
                p.title,
                status[p.status],
                words.said(p.why),
                sum(a.status in ("behind", "no_data") for a in p.action_points),
            )
            for p in pack.priorities
        ),
    )
    _sheet(
        book,
        _("Action points"),
        (
            _("action point"),
            _("priority"),
            _("text"),
            _("status"),
            _("why"),
            _("stale"),
            _("activities"),
            _("last activity"),
            _("awaiting review"),
        ),
        (
            (
                a.id,
                a.priority,
                a.text,
                status[a.status],
                words.said(a.why),
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
        _("Indicators"),
        (
            _("action point"),
            _("indicator"),
            _("name"),
            _("unit"),
            _("actual"),
            _("expected by now"),
            _("target"),
            _("target date"),
            _("ratio"),
            _("status"),
            _("why"),
            _("projected completion"),
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
                status[i.status],
                words.said(i.why),
                i.projected_completion,
            )
            for a in pack.action_points
            for i in a.indicators
        ),
    )


def _change_sheets(book: Workbook, pack: MeetingPack, words: _Words) -> None:
    """What moved since a moment, and the projects falling silent."""
    _, status, kinds = words.gettext, words.status, words.kinds
    _sheet(
        book,
        _("Changes"),
        (
            _("what"),
            _("id"),
            _("name"),
            _("status then"),
            _("status now"),
            _("figure then"),
            _("figure now"),
            _("why now"),
        ),
        (
            (
                kinds[m.kind],
                m.id,
                m.name,
                status[m.before] if m.before else _("not there"),
                status[m.after],
                m.actual_before,
                m.actual_after,
                words.said(m.why),
            )
            for m in pack.moved
        ),
    )
    _sheet(
        book,
        _("Silent projects"),
        (
            _("project"),
            _("title"),
            _("implementer"),
            _("days without report"),
            _("reporting cadence (days)"),
            _("last report (UTC)"),
            _("why"),
        ),
        (
            (
                p.id,
                p.title,
                p.implementer,
                p.days_without_report,
                p.reporting_cadence_days,
                _naive(p.last_report_at),
                words.said(p.why),
            )
            for p in pack.silent
        ),
    )


def _place_sheets(book: Workbook, pack: MeetingPack, words: _Words) -> None:
    """The countries, the participants and the alerts firing."""
    _ = words.gettext
    _sheet(
        book,
        _("Countries"),
        (
            _("country"),
            _("name"),
            _("Silk Routes"),
            _("projects"),
            _("activities"),
            _("as origin"),
            _("as transit"),
            _("as destination"),
            _("participants"),
            _("women"),
            _("men"),
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
        _("Participants"),
        (_("total"), _("women"), _("men"), _("not given")),
        [(people.total, people.women, people.men, people.total - people.women - people.men)],
    )
    _sheet(
        book,
        _("Alerts"),
        (_("severity"), _("alert"), _("since (UTC)")),
        ((words.gettext(a.severity), words.said(a.summary), _naive(a.since)) for a in pack.alerts),
    )
