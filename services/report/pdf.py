"""The meeting pack as a PDF (reportlab), in English or Russian: a cover, the six priorities
with their status and why, each action point with its indicators and their charts, what
moved, the projects falling silent, the countries, the participants and the alerts firing.
Set in DejaVu Sans (packaged here, with its licence), which has Cyrillic."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date
from typing import Any
from xml.sax.saxutils import escape as esc  # reported text is text, never markup

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
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

from services.report import worldmap
from services.report.drawing import COLOUR, chart, map_drawing, styles, table
from services.report.pack import MeetingPack, translated
from shared.domain.readmodel import ROUTE_ROLES
from shared.domain.status import STATUS_LABELS
from shared.domain.translations import ENGLISH_TEXTS, CatalogTexts
from shared.i18n import Messages, country_names, messages


def document(pack: MeetingPack, language: str = "en", texts: CatalogTexts = ENGLISH_TEXTS) -> bytes:
    """The pack as a PDF in `language`; the Call for Action's texts as `texts` gives them."""
    return _Writer(translated(pack, texts), messages(language), texts.language == language).write()


class _Writer:
    def __init__(self, pack: MeetingPack, t: Messages, official: bool = False) -> None:
        self.pack, self.t, self.official = pack, t, official
        self.s = styles()
        self.status: dict[str, str] = {status: t.gettext(label) for status, label in STATUS_LABELS.items()}

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
            table(
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
        if self.t.language != "en" and not self.official:
            story.append(Spacer(1, 4 * mm))
            story.append(
                self._p(
                    _(
                        "The texts of the Call for Action and the names of indicators are given in "
                        "English: no official translation has been loaded."
                    ),
                    "small",
                )
            )
        return [*story, Spacer(1, 6 * mm)]

    def _map(self) -> list[Any]:
        """The countries on the map, coloured by the activities reported there, and its key."""
        world = worldmap.shade({c.code: c for c in self.pack.countries}, "activity", {}, lambda c: c.name, [])
        key = " ".join(
            f'<font color="{fill}">■</font>&nbsp;{esc(words)}'
            for fill, words in worldmap.activity_legend(self.t)
        )
        caption = self.t.gettext("Activities reported in each country")
        return [map_drawing(world, 178 * mm), self._p(f"{esc(caption)}: {key}", "small")]

    def _priorities(self) -> list[Any]:
        _ = self.t.gettext
        rows: list[Sequence[Any]] = [(_("Priority"), _("Status"), _("Why"))]
        rows += [
            (
                self._p(f"<b>{p.id}</b>. {esc(p.title)}"),
                self._badge(p.status),
                self._p(esc(self.t.said(p.why)), "small"),
            )
            for p in self.pack.priorities
        ]
        return [
            self._p(_("The six priorities"), "h2"),
            table(rows, (74 * mm, 26 * mm, 78 * mm)),
            PageBreak(),
        ]

    def _action_points(self) -> list[Any]:
        _, t = self.t.gettext, self.t
        story: list[Any] = [self._p(_("Action points and their indicators"), "h2")]
        for ap in self.pack.action_points:
            facts = _("{status}: {why} · {activities} activities · last {day}").format(
                status=self.status[ap.status],
                why=esc(self.t.said(ap.why)),
                activities=ap.activity_count,
                day=self._day(ap.last_activity_at),
            )
            if ap.awaiting_review:
                facts += " · " + _("{count} awaiting review").format(count=ap.awaiting_review)
            block: list[Any] = [self._p(f"<b>{esc(ap.id)}</b> {esc(ap.text)}"), self._p(facts, "small")]
            for i in ap.indicators:
                projected = (
                    self._day(i.projected_completion) if i.projected_completion else _("never at this pace")
                )
                figures = _(
                    "<b>{name}</b>: actual {actual} · expected by now {expected} · target {target} {unit} by "
                    "{target_date} · projected {projected}"
                ).format(
                    name=esc(i.name),
                    actual=t.number(i.actual),
                    expected=t.number(i.expected_value),
                    target=t.number(i.target),
                    unit=esc(i.unit),
                    target_date=t.date(i.target_date),
                    projected=projected,
                )
                text = self._p(f"{figures}<br/>{self.status[i.status]}: {esc(self.t.said(i.why))}", "small")
                drawn = chart(
                    self.pack.charts[i.id],
                    _("as of {day}").format(day=t.date(self.pack.as_of)),
                    self.pack.as_of,
                )
                block.append(
                    Table(
                        [[text, drawn]],
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
                self._p(f"{kinds[m.kind]} {esc(m.id)}: {esc(m.name)}", "small"),
                self.status[m.before] if m.before else _("not there"),
                self.status[m.after],
                self._p(esc(self.t.said(m.why)), "small"),
            )
            for m in pack.moved
        ]
        return [title, table(rows, (70 * mm, 18 * mm, 18 * mm, 72 * mm))]

    def _rest(self) -> list[Any]:
        _, pack = self.t.gettext, self.pack
        story: list[Any] = [self._p(_("Projects falling silent"), "h2")]
        if pack.silent:
            rows: list[Sequence[Any]] = [(_("Project"), _("Days without report"), _("Why"))]
            rows += [
                (
                    self._p(f"<b>{esc(p.id)}</b> {esc(p.title)}", "small"),
                    p.days_without_report,
                    self._p(esc(self.t.said(p.why)), "small"),
                )
                for p in pack.silent
            ]
            story.append(table(rows, (70 * mm, 28 * mm, 80 * mm)))
        else:
            story.append(self._p(_("None: every project in its period has reported within 1.5 cadences.")))
        people = pack.participants
        story += [
            self._p(_("Participants by sex"), "h2"),
            table(
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
        if pack.countries:
            story += self._map()
        names = country_names(self.t.language) if self.t.language != "en" else {}
        country_rows: list[Sequence[Any]] = [header]
        country_rows += [
            (
                f"{names.get(c.code, c.name)} ({c.code})",
                len(c.projects),
                c.activity_count,
                *(c.route_roles.get(r, 0) for r in ROUTE_ROLES),
                c.participants.total,
            )
            for c in pack.countries
        ]
        story.append(table(country_rows, (58 * mm, 18 * mm, 20 * mm, 20 * mm, 20 * mm, 24 * mm, 22 * mm)))
        story.append(
            self._p(_("Activities by the country's role on the route, as the projects report it."), "small")
        )
        story.append(self._p(_("Alerts firing"), "h2"))
        if pack.alerts:
            alert_rows: list[Sequence[Any]] = [(_("Severity"), _("Alert"), _("Since"))]
            alert_rows += [
                (
                    self.t.gettext(a.severity),
                    self._p(esc(self.t.said(a.summary)), "small"),
                    self.t.date(a.since),
                )
                for a in pack.alerts
            ]
            story.append(table(alert_rows, (20 * mm, 120 * mm, 38 * mm)))
        else:
            story.append(self._p(_("None.")))
        return story
