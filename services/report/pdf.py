"""The meeting pack as a PDF (reportlab), in English or Russian: a cover, the six priorities
with their status and why, each action point with its indicators and their charts, what
moved, the projects falling silent, the countries, the participants and the alerts firing.
Set in DejaVu Sans (packaged here, with its licence), which has Cyrillic."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    KeepTogether,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from services.report.pack import Chart, MeetingPack
from shared.domain.readmodel import ROUTE_ROLES
from shared.i18n import Messages, messages

FONTS = Path(__file__).parent / "fonts"
COLOUR = {
    "on_track": colors.HexColor("#1b7f3b"),
    "at_risk": colors.HexColor("#c77c02"),
    "behind": colors.HexColor("#b3261e"),
    "no_data": colors.HexColor("#6b7280"),
}


@cache
def _styles() -> dict[str, ParagraphStyle]:
    pdfmetrics.registerFont(TTFont("DejaVu", str(FONTS / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont("DejaVu-Bold", str(FONTS / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily("DejaVu", normal="DejaVu", bold="DejaVu-Bold")
    base = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=base["BodyText"], fontName="DejaVu", fontSize=9, leading=11.5)
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontName="DejaVu-Bold"),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontName="DejaVu-Bold"),
        "body": body,
        "small": ParagraphStyle(
            "small", parent=body, fontSize=8, leading=10, textColor=colors.HexColor("#444444")
        ),
    }


GRID = TableStyle(
    [
        ("FONTNAME", (0, 0), (-1, -1), "DejaVu"),
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("FONTNAME", (0, 0), (-1, 0), "DejaVu-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8ccd4")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def document(pack: MeetingPack, language: str = "en") -> bytes:
    return _Writer(pack, messages(language)).write()


class _Writer:
    def __init__(self, pack: MeetingPack, t: Messages) -> None:
        self.pack, self.t = pack, t
        self.s = _styles()
        _ = t.gettext
        self.status = {
            "on_track": _("On track"),
            "at_risk": _("At risk"),
            "behind": _("Behind"),
            "no_data": _("No data"),
        }

    def write(self) -> bytes:
        _ = self.t.gettext
        out = io.BytesIO()
        doc = SimpleDocTemplate(
            out,
            pagesize=A4,
            leftMargin=16 * mm,
            rightMargin=16 * mm,
            topMargin=16 * mm,
            bottomMargin=16 * mm,
            title=_("Budapest Process Call for Action 2025-2030: meeting pack"),
            author="Call for Action Monitor",
            lang=self.t.language,
        )
        story = [*self._cover(), *self._priorities(), *self._action_points(), *self._moved(), *self._rest()]
        doc.build(story, onFirstPage=self._footer, onLaterPages=self._footer)
        return out.getvalue()

    def _p(self, text: str, style: str = "body") -> Paragraph:
        return Paragraph(text, self.s[style])

    def _day(self, value: date | None) -> str:
        return self.t.date(value) if value else "—"

    def _badge(self, status: str) -> Paragraph:
        return self._p(f'<font color="{COLOUR[status].hexval()}"><b>{self.status[status]}</b></font>')

    def _footer(self, canvas: Any, doc: Any) -> None:
        _ = self.t.gettext
        canvas.saveState()
        canvas.setFont("DejaVu", 7)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(
            16 * mm,
            9 * mm,
            _("Call for Action Monitor · figures as of {day}").format(day=self.t.date(self.pack.as_of)),
        )
        canvas.drawRightString(A4[0] - 16 * mm, 9 * mm, _("page {number}").format(number=doc.page))
        canvas.restoreState()

    def _cover(self) -> list[Any]:
        _, pack = self.t.gettext, self.pack
        known = self.t.moment(pack.known_at) if pack.known_at else _("every report received so far")
        basis = (
            _("every reported figure")
            if pack.figures == "reported"
            else _("the figures the Secretariat approved")
        )
        story: list[Any] = [
            self._p(_("Budapest Process Call for Action 2025–2030"), "title"),
            self._p(_("Meeting pack of the Reference Group"), "h2"),
            Spacer(1, 6 * mm),
            _table(
                [
                    (_("Figures as of"), self.t.date(pack.as_of)),
                    (_("As known at"), known),
                    (_("Figures over"), basis),
                    (_("Changes since"), self.t.moment(pack.since) if pack.since else "—"),
                    (_("Made"), self.t.moment(pack.made_at)),
                ],
                (45 * mm, 120 * mm),
            ),
        ]
        if self.t.language != "en":
            story.append(Spacer(1, 4 * mm))
            story.append(
                self._p(
                    _(
                        "The texts of the Call for Action, the names of indicators and the reasons "
                        "for each status are given in English: no official translation has been loaded."
                    ),
                    "small",
                )
            )
        return [*story, Spacer(1, 6 * mm)]

    def _priorities(self) -> list[Any]:
        _ = self.t.gettext
        rows: list[Sequence[Any]] = [(_("Priority"), _("Status"), _("Why"))]
        rows += [
            (self._p(f"<b>{p.id}</b>. {p.title}"), self._badge(p.status), self._p(p.why, "small"))
            for p in self.pack.priorities
        ]
        return [
            self._p(_("The six priorities"), "h2"),
            _table(rows, (74 * mm, 26 * mm, 78 * mm)),
            PageBreak(),
        ]

    def _action_points(self) -> list[Any]:
        _, t = self.t.gettext, self.t
        story: list[Any] = [self._p(_("Action points and their indicators"), "h2")]
        for ap in self.pack.action_points:
            facts = _("{status}: {why} · {activities} activities · last {day}").format(
                status=self.status[ap.status],
                why=ap.why,
                activities=ap.activity_count,
                day=self._day(ap.last_activity_at),
            )
            if ap.awaiting_review:
                facts += " · " + _("{count} awaiting review").format(count=ap.awaiting_review)
            block: list[Any] = [self._p(f"<b>{ap.id}</b> {ap.text}"), self._p(facts, "small")]
            for i in ap.indicators:
                projected = (
                    self._day(i.projected_completion) if i.projected_completion else _("never at this pace")
                )
                figures = _(
                    "<b>{name}</b>: actual {actual} · expected by now {expected} · target {target} {unit} by "
                    "{target_date} · projected {projected}"
                ).format(
                    name=i.name,
                    actual=t.number(i.actual),
                    expected=t.number(i.expected_value),
                    target=t.number(i.target),
                    unit=i.unit,
                    target_date=t.date(i.target_date),
                    projected=projected,
                )
                text = self._p(f"{figures}<br/>{self.status[i.status]}: {i.why}", "small")
                chart = _chart(
                    self.pack.charts[i.id],
                    _("as of {day}").format(day=t.date(self.pack.as_of)),
                    self.pack.as_of,
                )
                block.append(
                    Table(
                        [[text, chart]],
                        colWidths=[95 * mm, 83 * mm],
                        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
                    )
                )
            block.append(Spacer(1, 3 * mm))
            story.append(KeepTogether(block))
        return [*story, PageBreak()]

    def _moved(self) -> list[Any]:
        _, pack = self.t.gettext, self.pack
        if pack.since is None:
            return []
        title = self._p(_("What moved since {moment}").format(moment=self.t.moment(pack.since)), "h2")
        if not pack.moved:
            return [title, self._p(_("No status and no figure moved."))]
        kinds = {
            "priority": _("priority"),
            "action_point": _("action point"),
            "indicator": _("indicator"),
            "project": _("project"),
        }
        rows: list[Sequence[Any]] = [(_("What"), _("Then"), _("Now"), _("Why now"))]
        rows += [
            (
                self._p(f"{kinds[m.kind]} {m.id}: {m.name}", "small"),
                self.status[m.before] if m.before else _("not there"),
                self.status[m.after],
                self._p(m.why, "small"),
            )
            for m in pack.moved
        ]
        return [title, _table(rows, (70 * mm, 18 * mm, 18 * mm, 72 * mm))]

    def _rest(self) -> list[Any]:
        _, pack = self.t.gettext, self.pack
        story: list[Any] = [self._p(_("Projects falling silent"), "h2")]
        if pack.silent:
            rows: list[Sequence[Any]] = [(_("Project"), _("Days without report"), _("Why"))]
            rows += [
                (self._p(f"<b>{p.id}</b> {p.title}", "small"), p.days_without_report, self._p(p.why, "small"))
                for p in pack.silent
            ]
            story.append(_table(rows, (70 * mm, 28 * mm, 80 * mm)))
        else:
            story.append(self._p(_("None: every project in its period has reported within 1.5 cadences.")))
        people = pack.participants
        story += [
            self._p(_("Participants by sex"), "h2"),
            _table(
                [
                    (_("Total"), _("Women"), _("Men"), _("Not given")),
                    (people.total, people.women, people.men, people.total - people.women - people.men),
                ],
                (40 * mm, 40 * mm, 40 * mm, 40 * mm),
            ),
            self._p(_("Countries"), "h2"),
        ]
        header = (
            _("Country"),
            _("Projects"),
            _("Activities"),
            _("As origin"),
            _("As transit"),
            _("As destination"),
            _("Participants"),
        )
        country_rows: list[Sequence[Any]] = [header]
        country_rows += [
            (
                f"{c.name} ({c.code})",
                len(c.projects),
                c.activity_count,
                *(c.route_roles.get(r, 0) for r in ROUTE_ROLES),
                c.participants.total,
            )
            for c in pack.countries
        ]
        story.append(_table(country_rows, (58 * mm, 18 * mm, 20 * mm, 20 * mm, 20 * mm, 24 * mm, 22 * mm)))
        story.append(
            self._p(_("Activities by the country's role on the route, as the projects report it."), "small")
        )
        story.append(self._p(_("Alerts firing"), "h2"))
        if pack.alerts:
            alert_rows: list[Sequence[Any]] = [(_("Severity"), _("Alert"), _("Since"))]
            alert_rows += [
                (a.severity, self._p(a.summary, "small"), self.t.date(a.since)) for a in pack.alerts
            ]
            story.append(_table(alert_rows, (20 * mm, 120 * mm, 38 * mm)))
        else:
            story.append(self._p(_("None.")))
        return story


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    table = Table([list(r) for r in rows], colWidths=list(widths), repeatRows=1)
    table.setStyle(GRID)
    return table


def _chart(
    chart: Chart, caption: str, as_of: date, width: float = 80 * mm, height: float = 38 * mm
) -> Drawing:
    """Actual (blue), expected path (grey) and target (green), in days since 2025-01-01."""
    drawing = Drawing(width, height)
    plot = LinePlot()
    plot.x, plot.y = 28, 14
    plot.width, plot.height = int(width - 36), int(height - 22)
    start = chart.expected[0][0]

    def days(points: Sequence[tuple[date, float]]) -> list[tuple[float, float]]:
        return [((d - start).days, v) for d, v in points]

    expected = days(chart.expected)
    lines = [expected, [(expected[0][0], chart.target), (expected[-1][0], chart.target)]]
    styles = [colors.HexColor("#8a93a3"), colors.HexColor("#1b7f3b")]
    if chart.actual:
        lines.append(days([(start, chart.expected[0][1]), *chart.actual]))
        styles.append(colors.HexColor("#1f5fa8"))
    plot.data = lines
    for n, colour in enumerate(styles):
        plot.lines[n].strokeColor = colour
        plot.lines[n].strokeWidth = 1.6 if n == 2 else 1
    last = max(expected[-1][0], (as_of - start).days)
    plot.xValueAxis.valueMin, plot.xValueAxis.valueMax = 0, last
    plot.xValueAxis.valueSteps = [
        (date(y, 1, 1) - start).days for y in range(start.year, 2101) if (date(y, 1, 1) - start).days <= last
    ]
    plot.xValueAxis.labelTextFormat = lambda v: str(start.year + round(v / 365.25))
    for axis in (plot.xValueAxis, plot.yValueAxis):
        axis.labels.fontName, axis.labels.fontSize = "DejaVu", 6
    plot.yValueAxis.valueMin = 0
    drawing.add(plot)
    drawing.add(String(width - 4, height - 8, caption, fontName="DejaVu", fontSize=6, textAnchor="end"))
    return drawing
