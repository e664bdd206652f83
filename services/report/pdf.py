"""The meeting pack as a PDF (reportlab): a cover, the six priorities with their status and
why, each action point with its indicators and their charts, what moved, the projects
falling silent, the countries, the participants and the alerts firing."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any

from reportlab.graphics.charts.lineplots import LinePlot
from reportlab.graphics.shapes import Drawing, String
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
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
from shared.isodate import long_date, long_moment

STATUS = {"on_track": "On track", "at_risk": "At risk", "behind": "Behind", "no_data": "No data"}
COLOUR = {
    "on_track": colors.HexColor("#1b7f3b"),
    "at_risk": colors.HexColor("#c77c02"),
    "behind": colors.HexColor("#b3261e"),
    "no_data": colors.HexColor("#6b7280"),
}
STYLES = getSampleStyleSheet()
BODY = ParagraphStyle("body", parent=STYLES["BodyText"], fontSize=9, leading=11.5)
SMALL = ParagraphStyle("small", parent=BODY, fontSize=8, leading=10, textColor=colors.HexColor("#444444"))
GRID = TableStyle(
    [
        ("FONTSIZE", (0, 0), (-1, -1), 8),
        ("FONTNAME", (0, 0), (-1, 0), "Helvetica-Bold"),
        ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f6")),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c8ccd4")),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]
)


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if abs(value) >= 100 or value == round(value) else f"{value:,.1f}"


def _day(value: date | None) -> str:
    return long_date(value) if value else "—"


def _status(status: str) -> Paragraph:
    return Paragraph(f'<font color="{COLOUR[status].hexval()}"><b>{STATUS[status]}</b></font>', BODY)


def _table(rows: Sequence[Sequence[Any]], widths: Sequence[float]) -> Table:
    table = Table([list(r) for r in rows], colWidths=list(widths), repeatRows=1)
    table.setStyle(GRID)
    return table


def _chart(chart: Chart, as_of: date, width: float = 80 * mm, height: float = 38 * mm) -> Drawing:
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
    plot.xValueAxis.valueMin = 0
    plot.xValueAxis.valueMax = max(expected[-1][0], (as_of - start).days)
    plot.xValueAxis.valueSteps = [
        (date(y, 1, 1) - start).days
        for y in range(start.year, 2032)
        if (date(y, 1, 1) - start).days <= plot.xValueAxis.valueMax
    ]
    plot.xValueAxis.labelTextFormat = lambda v: str(start.year + round(v / 365.25))
    plot.xValueAxis.labels.fontSize = 6
    plot.yValueAxis.labels.fontSize = 6
    plot.yValueAxis.valueMin = 0
    drawing.add(plot)
    drawing.add(String(width - 4, height - 8, f"as of {long_date(as_of)}", fontSize=6, textAnchor="end"))
    return drawing


def document(pack: MeetingPack) -> bytes:
    out = io.BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=A4,
        leftMargin=16 * mm,
        rightMargin=16 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title="Budapest Process Call for Action 2025-2030: meeting pack",
        author="Call for Action Monitor",
    )
    story: list[Any] = []
    story += _cover(pack)
    story += _priorities(pack)
    story += _action_points(pack)
    story += _moved(pack)
    story += _projects_and_countries(pack)
    doc.build(story, onLaterPages=_footer(pack), onFirstPage=_footer(pack))
    return out.getvalue()


def _footer(pack: MeetingPack) -> Any:
    def draw(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.setFillColor(colors.HexColor("#666666"))
        canvas.drawString(16 * mm, 9 * mm, f"Call for Action Monitor · figures as of {long_date(pack.as_of)}")
        canvas.drawRightString(A4[0] - 16 * mm, 9 * mm, f"page {doc.page}")
        canvas.restoreState()

    return draw


def _cover(pack: MeetingPack) -> list[Any]:
    known = long_moment(pack.known_at) if pack.known_at else "every report received so far"
    basis = "every reported figure" if pack.figures == "reported" else "the figures the Secretariat approved"
    return [
        Paragraph("Budapest Process Call for Action 2025–2030", STYLES["Title"]),
        Paragraph("Meeting pack of the Reference Group", STYLES["Heading2"]),
        Spacer(1, 6 * mm),
        _table(
            [
                ("", ""),
                ("Figures as of", long_date(pack.as_of)),
                ("As known at", known),
                ("Figures over", basis),
                ("Changes since", long_moment(pack.since) if pack.since else "—"),
                ("Made", long_moment(pack.made_at)),
            ],
            (45 * mm, 120 * mm),
        ),
        Spacer(1, 6 * mm),
    ]


def _priorities(pack: MeetingPack) -> list[Any]:
    rows: list[Sequence[Any]] = [("Priority", "Status", "Why")]
    rows += [
        (Paragraph(f"<b>{p.id}</b>. {p.title}", BODY), _status(p.status), Paragraph(p.why, SMALL))
        for p in pack.priorities
    ]
    return [
        Paragraph("The six priorities", STYLES["Heading2"]),
        _table(rows, (80 * mm, 20 * mm, 78 * mm)),
        PageBreak(),
    ]


def _action_points(pack: MeetingPack) -> list[Any]:
    story: list[Any] = [Paragraph("Action points and their indicators", STYLES["Heading2"])]
    for ap in pack.action_points:
        head = Paragraph(f"<b>{ap.id}</b> {ap.text}", BODY)
        waiting = f" · {ap.awaiting_review} awaiting review" if ap.awaiting_review else ""
        last = _day(ap.last_activity_at)
        facts = Paragraph(
            f"{STATUS[ap.status]}: {ap.why} · {ap.activity_count} activities · last {last}{waiting}", SMALL
        )
        block: list[Any] = [head, facts]
        for i in ap.indicators:
            projected = _day(i.projected_completion) if i.projected_completion else "never at this pace"
            figures = (
                f"<b>{i.name}</b>: actual {_number(i.actual)} · expected by now "
                f"{_number(i.expected_value)} · target {_number(i.target)} {i.unit} by "
                f"{long_date(i.target_date)} · projected {projected}"
            )
            block.append(
                Table(
                    [
                        [
                            Paragraph(figures + f"<br/>{STATUS[i.status]}: {i.why}", SMALL),
                            _chart(pack.charts[i.id], pack.as_of),
                        ]
                    ],
                    colWidths=[95 * mm, 83 * mm],
                    style=TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]),
                )
            )
        block.append(Spacer(1, 3 * mm))
        story.append(KeepTogether(block))
    return [*story, PageBreak()]


def _moved(pack: MeetingPack) -> list[Any]:
    if pack.since is None:
        return []
    title = Paragraph(f"What moved since {long_moment(pack.since)}", STYLES["Heading2"])
    if not pack.moved:
        return [title, Paragraph("No status and no figure moved.", BODY)]
    rows: list[Sequence[Any]] = [("What", "Then", "Now", "Why now")]
    rows += [
        (
            Paragraph(f"{m.kind.replace('_', ' ')} {m.id}: {m.name}", SMALL),
            STATUS[m.before] if m.before else "not there",
            STATUS[m.after],
            Paragraph(m.why, SMALL),
        )
        for m in pack.moved
    ]
    return [title, _table(rows, (70 * mm, 18 * mm, 18 * mm, 72 * mm))]


def _projects_and_countries(pack: MeetingPack) -> list[Any]:
    story: list[Any] = [Paragraph("Projects falling silent", STYLES["Heading2"])]
    if pack.silent:
        rows: list[Sequence[Any]] = [("Project", "Days without report", "Why")]
        rows += [
            (Paragraph(f"<b>{p.id}</b> {p.title}", SMALL), p.days_without_report, Paragraph(p.why, SMALL))
            for p in pack.silent
        ]
        story.append(_table(rows, (70 * mm, 28 * mm, 80 * mm)))
    else:
        story.append(Paragraph("None: every project in its period has reported within 1.5 cadences.", BODY))
    people = pack.participants
    story += [
        Paragraph("Participants by sex", STYLES["Heading2"]),
        _table(
            [
                ("Total", "Women", "Men", "Not given"),
                (people.total, people.women, people.men, people.total - people.women - people.men),
            ],
            (40 * mm, 40 * mm, 40 * mm, 40 * mm),
        ),
        Paragraph("Countries", STYLES["Heading2"]),
    ]
    rows = [
        ("Country", "Projects", "Activities", "As origin", "As transit", "As destination", "Participants")
    ]
    rows += [
        (
            f"{c.name} ({c.code})",
            len(c.projects),
            c.activity_count,
            *(c.route_roles.get(role, 0) for role in ROUTE_ROLES),
            c.participants.total,
        )
        for c in pack.countries
    ]
    story.append(_table(rows, (58 * mm, 18 * mm, 20 * mm, 20 * mm, 20 * mm, 24 * mm, 22 * mm)))
    story.append(
        Paragraph("Activities by the country's role on the route, as the projects report it.", SMALL)
    )
    story.append(Paragraph("Alerts firing", STYLES["Heading2"]))
    if pack.alerts:
        alert_rows: list[Sequence[Any]] = [("Severity", "Alert", "Since")]
        alert_rows += [(a.severity, Paragraph(a.summary, SMALL), long_date(a.since)) for a in pack.alerts]
        story.append(_table(alert_rows, (20 * mm, 120 * mm, 38 * mm)))
    else:
        story.append(Paragraph("None.", BODY))
    return story
