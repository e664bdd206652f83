"""What a person reads: an e-mail (text and HTML) and webhook bodies (JSON, Slack, Teams)."""

from __future__ import annotations

import html
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


def subject_line(notices: Sequence[Notice]) -> str:
    firing = sum(n.event != "resolved" for n in notices)
    resolved = len(notices) - firing
    parts = [f"{firing} firing"] if firing else []
    parts += [f"{resolved} resolved"] if resolved else []
    first = notices[0].alert.summary
    more = f" (+{len(notices) - 1} more)" if len(notices) > 1 else ""
    return f"[Call for Action Monitor] {', '.join(parts)}: {first}{more}"


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
    return lines


def email_text(receiver: str, notices: Sequence[Notice]) -> str:
    blocks = [f"To the {receiver.replace('_', ' ')}:", ""]
    for n in notices:
        alert = n.alert
        blocks.append(f"[{HEADLINE[n.event]}] {alert.severity.upper()}: {alert.summary}")
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
        return {
            "text": subject_line(notices),
            "blocks": [
                {
                    "type": "section",
                    "text": {"type": "mrkdwn", "text": f"*{HEADLINE[n.event]}* {n.alert.summary}"},
                }
                for n in notices
            ],
        }
    if fmt == "teams":
        return {
            "@type": "MessageCard",
            "@context": "https://schema.org/extensions",
            "summary": subject_line(notices),
            "title": subject_line(notices),
            "sections": [{"activityTitle": HEADLINE[n.event], "text": n.alert.summary} for n in notices],
        }
    return {"id": notification_id, "receiver": receiver, "alerts": [alert_json(n) for n in notices]}
