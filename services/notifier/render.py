"""What a person reads: an e-mail (text and HTML) and webhook bodies (JSON, Slack, Teams).

Texts reported by projects (titles of projects and milestones) and taken from the catalog
reach people here, so they are made inert: one line each (no header or line can be added),
HTML-escaped in HTML, and escaped per platform in Slack mrkdwn and Teams card text, so no
mention, link or markup can be made from them."""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from services.notifier.lifecycle import AlertState, Notice
from services.notifier.rules import AlertKind, Severity

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


def headline(notices: Sequence[Notice]) -> str:
    """How many fire and resolve: no reported text in it."""
    firing = sum(n.event != "resolved" for n in notices)
    resolved = len(notices) - firing
    parts = [f"{firing} firing"] if firing else []
    parts += [f"{resolved} resolved"] if resolved else []
    return f"[Call for Action Monitor] {', '.join(parts)}"


def subject_line(notices: Sequence[Notice]) -> str:
    first = one_line(notices[0].alert.summary)
    more = f" (+{len(notices) - 1} more)" if len(notices) > 1 else ""
    return f"{headline(notices)}: {first}{more}"


def _details(notice: Notice) -> list[str]:
    a = notice.alert.annotations
    lines = []
    for name in ("title", "text", "project", "implementer"):
        if a.get(name):
            lines.append(f"{name.capitalize()}: {a[name]}")
    for figure in a.get("indicators", []):
        lines.append(
            f"{figure['name']}: {figure['actual']} {figure['unit']} against {figure['expected']} expected "
            f"by now (target {figure['target']}; ratio {figure['ratio']}; {figure['status']})"
        )
    for name in ("last_activity_at", "last_report_at", "due_date"):
        if a.get(name):
            lines.append(f"{name.replace('_', ' ').capitalize()}: {a[name]}")
    return [one_line(line) for line in lines]


def email_text(receiver: str, notices: Sequence[Notice]) -> str:
    blocks = [f"To the {receiver.replace('_', ' ')}:", ""]
    for n in notices:
        alert = n.alert
        blocks.append(f"[{HEADLINE[n.event]}] {alert.severity.upper()}: {one_line(alert.summary)}")
        blocks += [f"  {line}" for line in _details(n)]
        blocks.append(f"  Since {alert.starts_at:%Y-%m-%d %H:%M} UTC · {alert.subject} · {alert.fingerprint}")
        blocks.append("")
    blocks.append("Acknowledge or silence at the notifier's /v1/alerts (operator token).")
    return "\n".join(blocks)


def email_html(receiver: str, notices: Sequence[Notice]) -> str:
    rows = []
    for n in notices:
        alert = n.alert
        details = "".join(f"<li>{html.escape(line)}</li>" for line in _details(n))
        colour = "#b00020" if n.event != "resolved" else "#2e7d32"
        rows.append(
            f'<h3 style="color:{colour}">{HEADLINE[n.event]} · {html.escape(alert.severity.upper())}: '
            f"{html.escape(alert.summary)}</h3><ul>{details}</ul>"
            f"<p><small>Since {alert.starts_at:%Y-%m-%d %H:%M} UTC · {html.escape(alert.subject)} · "
            f"{alert.fingerprint}</small></p>"
        )
    return (
        '<!doctype html><html><body style="font-family:sans-serif">'
        f"<p>To the {html.escape(receiver.replace('_', ' '))}:</p>{''.join(rows)}"
        "<p>Acknowledge or silence at the notifier's <code>/v1/alerts</code> (operator token).</p>"
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
        texts = [*texts[: SLACK_BLOCKS - 1], f"… and {more} more: see the notifier's /v1/alerts"]
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
