"""What a person reads: an e-mail (text and HTML) and webhook bodies (JSON, Slack, Teams).

Texts reported by projects (titles of projects and milestones) and taken from the catalog
reach people here, so they are made inert: one line each (no header or line can be added),
HTML-escaped in HTML, and escaped per platform in Slack mrkdwn and Teams card text, so no
mention, link or markup can be made from them. The e-mails are written for the groups' members
(figures, days and group names as wording.py writes them, a link to each alert on the
dashboard when CFA_DASHBOARD_URL is set, no fingerprint or subject key in the text)."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.notifier.lifecycle import Alert, AlertState, Notice, said
from services.notifier.rules import AlertKind, Severity
from services.notifier.wording import (
    ENGLISH,
    IndicatorFigures,
    dashboard_link,
    day_of,
    group_name,
    indicator_line,
)
from shared.i18n import N_, Messages

HEADLINE = {
    "firing": "FIRING",
    "repeat": "STILL FIRING",
    "resolved": "RESOLVED",
    "silence_ended": "STILL FIRING (silence ended)",
}


SLACK_BLOCKS = 50  # the most blocks Slack takes in one message
SLACK_TEXT = 3000  # the most characters of a section's text
TEAMS_MARKDOWN = re.compile(r"([\\`*_~\[\]])")
BREAKS = {"Cc", "Zl", "Zp"}  # control characters, line and paragraph separators


def one_line(text: str) -> str:
    """The text on one line: every control character or line break (CR, LF, U+2028 and the
    like, which e-mail headers and markdown take as line ends) becomes a space."""
    return "".join(" " if unicodedata.category(c) in BREAKS else c for c in text)


def slack_escape(text: str) -> str:
    """Slack mrkdwn: &, < and > as entities, so no <!channel>, <@U…> or <url|label> is made."""
    return one_line(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def teams_escape(text: str) -> str:
    """Teams card text (Markdown and some HTML): markdown's link, emphasis and code marks
    backslash-escaped, then &, < and > as entities, so no link, markup or mention is made."""
    return html.escape(TEAMS_MARKDOWN.sub(r"\\\1", one_line(text)), quote=False)


def headline(notices: Sequence[Notice], words: Messages = ENGLISH) -> str:
    """How many fire and resolve: no reported text in it."""
    firing = sum(n.event != "resolved" for n in notices)
    resolved = len(notices) - firing
    parts = [words.gettext("{n} firing").format(n=firing)] if firing else []
    parts += [words.gettext("{n} resolved").format(n=resolved)] if resolved else []
    monitor = words.gettext("Call for Action Monitor")
    return f"[{monitor}] {', '.join(parts)}"


def subject_line(notices: Sequence[Notice], words: Messages = ENGLISH) -> str:
    first = one_line(said(notices[0].alert, words))
    more = words.gettext(" (+{n} more)").format(n=len(notices) - 1) if len(notices) > 1 else ""
    return f"{headline(notices, words)}: {first}{more}"


EMAIL_HEADLINE = {
    "firing": N_("New"),
    "repeat": N_("Still open"),
    "resolved": N_("Resolved"),
    "silence_ended": N_("Still open, its silence has ended"),
}
SEVERITY_WORDS = {"critical": N_("critical"), "warning": N_("warning")}
TITLE_LABEL = {AlertKind.PRIORITY_BEHIND: N_("Priority goal"), AlertKind.PROJECT_SILENT: N_("Project")}
LABEL = {
    "text": N_("Action point"),
    "project": N_("Project"),
    "implementer": N_("Implemented by"),
    "why": N_("Why"),
}
DAY_LABEL = {
    "last_activity_at": N_("Last activity"),
    "last_report_at": N_("Last report"),
    "due_date": N_("Due"),
}
LINKED = N_("Each link opens the alert on the Call for Action Monitor dashboard.")
UNLINKED = N_(
    "You will find these alerts, with their latest figures, on the Alerts page of the "
    "Call for Action Monitor dashboard."
)
REMINDERS = N_("Reminders of an alert stop once the monitor's operators acknowledge or silence it.")


def _details(alert: Alert, words: Messages) -> list[str]:
    """The alert's annotations in words, one line each (titles and texts as reported)."""
    a, _ = alert.annotations, words.gettext
    title = _(TITLE_LABEL.get(alert.kind, N_("Title")))
    lines = [f"{title}: {a['title']}"] if a.get("title") else []
    for name, label in LABEL.items():
        if a.get(name):
            lines.append(f"{_(label)}: {said(alert, words, name) if name == 'why' else a[name]}")
    lines += [indicator_line(IndicatorFigures.model_validate(f), words) for f in a.get("indicators", [])]
    days = {label: day_of(a.get(name)) for name, label in DAY_LABEL.items()}
    lines += [f"{_(label)}: {words.date(day)}" for label, day in days.items() if day is not None]
    return [one_line(line) for line in lines]


def _headline(notice: Notice, words: Messages) -> str:
    severity = str(notice.alert.severity)
    event = words.gettext(EMAIL_HEADLINE[notice.event])
    return f"{event}, {words.gettext(SEVERITY_WORDS.get(severity, severity))}"


def _when(notice: Notice, words: Messages) -> str:
    alert = notice.alert
    if notice.event == "resolved" and alert.ends_at is not None:
        return words.gettext("Resolved on {ended}; open since {started}").format(
            ended=words.moment(alert.ends_at), started=words.moment(alert.starts_at)
        )
    return words.gettext("Open since {started}").format(started=words.moment(alert.starts_at))


def _greeting(receiver: str, notices: Sequence[Notice], words: Messages) -> tuple[str, str]:
    news = words.ngettext(
        "The Call for Action Monitor has news of {n} alert.",
        "The Call for Action Monitor has news of {n} alerts.",
        len(notices),
    )
    return (
        words.gettext("Dear members of the {group},").format(group=group_name(receiver)),
        news.format(n=len(notices)),
    )


def email_text(
    receiver: str, notices: Sequence[Notice], dashboard_url: str | None = None, words: Messages = ENGLISH
) -> str:
    """The text part, in the language of `words`: the group by its name, each alert in words
    with a link to it on the dashboard (when its address is set); no fingerprint or subject key."""
    greeting, news = _greeting(receiver, notices, words)
    blocks = [greeting, "", news, ""]
    for n in notices:
        blocks.append(f"[{_headline(n, words)}] {one_line(said(n.alert, words))}")
        blocks += [f"  {line}" for line in [*_details(n.alert, words), _when(n, words)]]
        link = dashboard_link(dashboard_url, n.alert.fingerprint)
        on_dashboard = words.gettext("On the dashboard:")
        blocks += [f"  {on_dashboard} {link}"] if link else []
        blocks.append("")
    blocks += [words.gettext(LINKED if dashboard_url else UNLINKED), words.gettext(REMINDERS)]
    return "\n".join(blocks)


def email_html(
    receiver: str, notices: Sequence[Notice], dashboard_url: str | None = None, words: Messages = ENGLISH
) -> str:
    """The HTML part: as the text part; the alerts' fingerprints only in a small footer."""
    _ = words.gettext
    greeting, news = _greeting(receiver, notices, words)
    rows = []
    for n in notices:
        lines = [*_details(n.alert, words), _when(n, words)]
        details = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
        link = dashboard_link(dashboard_url, n.alert.fingerprint)
        opened = html.escape(_("Open this alert on the dashboard"))
        details += f'<li><a href="{html.escape(link)}">{opened}</a></li>' if link else ""
        colour = "#b00020" if n.event != "resolved" else "#2e7d32"
        summary = html.escape(said(n.alert, words))
        rows.append(
            f'<h3 style="color:{colour}">{html.escape(_headline(n, words))}: {summary}</h3><ul>{details}</ul>'
        )
    references = ", ".join(html.escape(n.alert.fingerprint) for n in notices)
    footer = html.escape(_("Alert references: {references}")).format(references=references)
    return (
        f'<!doctype html><html lang="{words.language}"><body style="font-family:sans-serif">'
        f"<p>{html.escape(greeting)}</p><p>{html.escape(news)}</p>{''.join(rows)}"
        f"<p>{html.escape(_(LINKED if dashboard_url else UNLINKED))}</p><p>{html.escape(_(REMINDERS))}</p>"
        f'<p style="color:#777"><small>{footer}</small></p>'
        "</body></html>"
    )


class AlertMessage(BaseModel):
    """One notice of an alert, as bp.alerts.v1 and the json webhook carry it."""

    event: str = Field(description="firing, repeat, resolved or silence_ended")
    fingerprint: str
    kind: AlertKind
    subject: str
    severity: Severity
    state: AlertState
    priorities: list[int]
    summary: str
    starts_at: datetime
    ends_at: datetime | None
    receivers: list[str]
    annotations: dict[str, Any]


def alert_json(notice: Notice) -> dict[str, Any]:
    alert = notice.alert
    message = AlertMessage(
        event=notice.event,
        **alert.model_dump(
            include={"fingerprint", "kind", "subject", "severity", "state", "priorities", "summary"}
            | {"starts_at", "ends_at", "receivers", "annotations"}
        ),
    )
    return message.model_dump(mode="json")


def webhook_body(fmt: str, notification_id: str, receiver: str, notices: Sequence[Notice]) -> dict[str, Any]:
    if fmt == "slack":
        return slack_body(notices)
    if fmt == "teams":
        return teams_body(notices)
    return {"id": notification_id, "receiver": receiver, "alerts": [alert_json(n) for n in notices]}


def slack_body(notices: Sequence[Notice]) -> dict[str, Any]:
    texts = [f"*{HEADLINE[n.event]}* {slack_escape(n.alert.summary)}"[:SLACK_TEXT] for n in notices]
    if len(texts) > SLACK_BLOCKS:
        more = len(texts) - SLACK_BLOCKS + 1
        texts = [*texts[: SLACK_BLOCKS - 1], f"… and {more} more: on the dashboard's Alerts page"]
    return {
        "text": slack_escape(subject_line(notices)),
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": t}} for t in texts],
        "unfurl_links": False,  # no preview fetched from a link a reported text may hold
        "unfurl_media": False,
    }


def teams_body(notices: Sequence[Notice]) -> dict[str, Any]:
    # summary and title are plain text in a MessageCard: they carry no reported text at all
    return {
        "@type": "MessageCard",
        "@context": "https://schema.org/extensions",
        "summary": headline(notices),
        "title": headline(notices),
        "sections": [
            {"activityTitle": HEADLINE[n.event], "text": teams_escape(n.alert.summary)} for n in notices
        ],
    }
