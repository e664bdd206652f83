"""What people read is inert whatever a project reported: Slack and Teams bodies make no
mention, link or markup from reported text, and an e-mail subject stays one header line."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from email.message import EmailMessage

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.notifier.lifecycle import Alert, Notice
from services.notifier.render import (
    email_text,
    one_line,
    slack_body,
    slack_escape,
    subject_line,
    teams_body,
    teams_escape,
)
from services.notifier.rules import AlertKind, Severity

HOSTILE = [
    "<!channel> please",
    "<!here|here>",
    "<!everyone>",
    "<@U123ABC> look",
    "<#C0123|general>",
    "<!subteam^S123|team>",
    "<https://evil.example|click here>",
    "[click](https://evil.example)",
    "![x](https://evil.example/pixel.png)",
    "<a href='https://evil.example'>click</a>",
    "<img src=x onerror=alert(1)>",
    "<at>Adele</at>",
    "&lt;!channel&gt;",
    "\\[click\\](https://evil.example)",
    "line one\r\nBcc: intruder@evil.example",
    "line\u2028two\u2029three\x85four\x0bfive",
]


def notice(summary: str) -> Notice:
    alert = Alert(
        fingerprint="f" * 16,
        kind=AlertKind.MILESTONE_MISSED,
        subject="milestone:P-1/M-1",
        severity=Severity.WARNING,
        priorities=[3],
        summary=f"Milestone M-1 of P-1 ({summary}) was due 2026-03-31: missed",
        annotations={"project": summary, "due_date": "2026-03-31"},
        starts_at=datetime(2026, 6, 1, tzinfo=UTC),
        receivers=["reference_group"],
    )
    return Notice(alert, "firing")


def texts(body: object) -> list[str]:
    if isinstance(body, str):
        return [body]
    if isinstance(body, dict):
        return [t for v in body.values() for t in texts(v)]
    if isinstance(body, list):
        return [t for v in body for t in texts(v)]
    return []


@pytest.mark.parametrize("hostile", HOSTILE)
def test_slack_gets_no_mention_link_or_line_from_reported_text(hostile: str) -> None:
    body = slack_body([notice(hostile)])
    for text in texts(body):
        assert "<" not in text and ">" not in text, text  # every mention and link starts with <
        assert one_line(text) == text
    assert body["unfurl_links"] is False


@pytest.mark.parametrize("hostile", HOSTILE)
def test_teams_gets_no_link_markup_or_line_from_reported_text(hostile: str) -> None:
    body = teams_body([notice(hostile)])
    assert "P-1" not in body["title"] + body["summary"]  # plain-text fields: our own words
    for section in body["sections"]:
        text = section["text"]
        assert "<" not in text and ">" not in text, text
        assert not re.search(r"(?<!\\)[\[\]`*_~]", text), text  # every markdown mark escaped
        assert one_line(text) == text


def test_escaped_text_reads_as_reported() -> None:
    """The escapes are the platforms' own (Slack: &amp; &lt; &gt;; Teams: HTML entities and
    markdown backslashes), which they show as the characters reported."""
    assert slack_escape("A & B <!channel>") == "A &amp; B &lt;!channel&gt;"
    assert teams_escape("[a](b) *c* <d> & e_f") == r"\[a\](b) \*c\* &lt;d&gt; &amp; e\_f"
    assert teams_escape("back\\slash") == "back\\\\slash"


@given(st.text(min_size=1))
def test_any_summary_makes_one_header_line_and_valid_json(summary: str) -> None:
    n = notice(summary)
    subject = subject_line([n])
    message = EmailMessage()
    message["Subject"] = subject  # raises on a line break of any kind
    plain = email_text("reference_group", [notice("plain")])
    assert email_text("reference_group", [n]).count("\n") == plain.count("\n")  # no line added
    for body in (slack_body([n]), teams_body([n])):
        json.dumps(body, allow_nan=False)


def test_slack_takes_at_most_fifty_blocks() -> None:
    body = slack_body([notice(str(i)) for i in range(120)])
    assert len(body["blocks"]) == 50
    assert "71 more" in body["blocks"][-1]["text"]["text"]
