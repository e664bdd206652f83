"""The notifier's e-mails are written for people: figures at the precision they are counted in,
days in one format, groups by their names, a link to each alert instead of API jargon, and
no fingerprint or subject key in the text."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from pydantic import ValidationError

from services.notifier.evaluator import receivers_of
from services.notifier.lifecycle import Alert, Notice, reconcile
from services.notifier.render import email_html, email_text
from services.notifier.rules import AlertKind, Severity, evaluate
from services.notifier.settings import NotifierSettings
from services.notifier.wording import (
    GROUP_NAMES,
    IndicatorFigures,
    dashboard_link,
    day_of,
    group_name,
    indicator_line,
    number,
    quantity,
    ratio,
)
from shared.domain.catalog import TWG_PRIORITY
from shared.domain.facts import fact_of
from shared.domain.factset import FactSet
from shared.domain.framework import load_framework
from shared.domain.readmodel import build_read_model
from shared.domain.status import Thresholds
from shared.isodate import long_date, long_moment
from tests.notices import decimals_outside_ratios, seeded_events

NOW = datetime(2026, 6, 1, 9, tzinfo=UTC)
DASHBOARD = "https://monitor.test.example"
ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
HEX = re.compile(r"\b[0-9a-f]{16}\b|\b[0-9a-f]{64}\b")
URL = re.compile(r"https?://\S+")


@pytest.mark.parametrize(
    ("value", "unit", "written"),
    [
        (137.0, "inspectors", "137 inspectors"),
        (255.71, "inspectors", "256 inspectors"),
        (255.5, "people", "256 people"),  # half up, as people round
        (12500.4, "people", "12,500 people"),
        (1_234_567.0, "persons", "1,234,567 persons"),
        (0.0, "agreements", "0 agreements"),
        (-0.2, "cases", "0 cases"),  # no negative zero
        (42.0, "percent", "42%"),
        (42.46, "%", "42.5%"),
        (7.25, "per cent", "7.3%"),
        (3.0, "", "3"),
    ],
)
def test_a_figure_is_written_as_it_is_counted(value: float, unit: str, written: str) -> None:
    assert quantity(value, unit) == written


def test_a_number_alone_keeps_a_percentage_sign_and_drops_a_unit_of_things() -> None:
    assert number(2356.16, "cases") == "2,356"
    assert number(50.0, "percent") == "50%"
    assert number(float("nan")) == "nan"


@pytest.mark.parametrize(("value", "written"), [(0.5, "0.50"), (0.545, "0.55"), (1, "1.00"), (0.0, "0.00")])
def test_a_ratio_has_two_decimals(value: float, written: str) -> None:
    assert ratio(value) == written


def test_days_and_moments_have_one_format() -> None:
    assert long_date(date(2026, 12, 2)) == "2 December 2026"
    assert long_moment(datetime(2026, 12, 2, 9, tzinfo=UTC)) == "2 December 2026, 09:00 UTC"
    east = timezone(timedelta(hours=3))
    assert long_moment(datetime(2026, 12, 2, 1, 30, tzinfo=east)) == "1 December 2026, 22:30 UTC"


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2026-03-31", date(2026, 3, 31)),
        ("2025-11-13 09:00:00+00:00", date(2025, 11, 13)),
        ("2025-11-13T23:30:00-02:00", date(2025, 11, 14)),  # its day in UTC
        (date(2026, 1, 2), date(2026, 1, 2)),
        (datetime(2026, 1, 2, 3, tzinfo=UTC), date(2026, 1, 2)),
        ("None", None),
        (None, None),
        (20260331, None),
    ],
)
def test_annotation_days_are_read_from_iso_text(value: object, day: date | None) -> None:
    assert day_of(value) == day


def test_every_group_has_its_name() -> None:
    assert set(GROUP_NAMES) == {"reference_group", *TWG_PRIORITY}
    assert group_name("reference_group") == "Reference Group"
    assert group_name("legal_pathways") == "Thematic Working Group on Legal Pathways for Migration"
    assert all(group_name(g).startswith("Thematic Working Group on ") for g in TWG_PRIORITY)


def test_an_indicator_line_reads_as_a_sentence() -> None:
    figures = IndicatorFigures(
        name="Labour inspectors trained",
        unit="inspectors",
        actual=137.0,
        expected=255.71,
        target=800.0,
        target_date=date(2030, 12, 31),
        ratio=0.54,
        status="behind",
        projected_completion=date(2034, 3, 3),
    )
    assert indicator_line(figures) == (
        "Labour inspectors trained: 137 inspectors against 256 expected by now "
        "(0.54 of the progress expected, behind); target 800 by 31 December 2030, "
        "reached at this pace on 3 March 2034"
    )
    nothing = figures.model_copy(update={"actual": None, "ratio": None, "status": "no_data"})
    nothing = nothing.model_copy(update={"target_date": None, "projected_completion": None})
    assert indicator_line(nothing) == (
        "Labour inspectors trained: nothing reported yet, 256 expected by now (no data); target 800"
    )


def test_the_link_goes_to_the_alert_on_the_dashboard() -> None:
    assert dashboard_link(None, "ab" * 8) is None
    assert dashboard_link("https://m.example/", "ab" * 8) == f"https://m.example/alerts#alert-{'ab' * 8}"
    assert dashboard_link("https://m.example/monitor", "f0") == "https://m.example/monitor/alerts#alert-f0"


@pytest.mark.parametrize("value", ["https://monitor.example.org", "http://localhost:8002/", "https://a.b/c"])
def test_the_dashboard_address_setting_takes_http_addresses(value: str) -> None:
    assert NotifierSettings(dashboard_url=value).dashboard_url == value


@pytest.mark.parametrize(
    "value",
    [
        "monitor.example.org",
        "ftp://x.org",
        "javascript:alert(1)",
        "https://",
        "https://u:p@x.org",
        "https://x.org/?a=1",
        "https://x.org/#top",
        "https://x.org/a b",
        "https://x.org:99999",
    ],
)
def test_the_dashboard_address_setting_refuses_what_makes_no_link(value: str) -> None:
    with pytest.raises(ValidationError, match="dashboard_url"):
        NotifierSettings(dashboard_url=value)


def test_the_dashboard_address_is_unset_by_default_or_empty() -> None:
    assert NotifierSettings().dashboard_url is None
    assert NotifierSettings(dashboard_url="").dashboard_url is None


def seeded_notices(receiver: str) -> list[Notice]:
    """The first notices of what seeded_events make fire as of NOW: an action point behind
    (with figures), one stale, a missed milestone, a silent project, priority 3."""
    facts = FactSet()
    for n, (kind, data, days_ago) in enumerate(seeded_events()):
        facts.apply(fact_of(str(kind), data, NOW - timedelta(days=days_ago), f"e-{n}"))
    model = build_read_model(facts, load_framework(None), NOW.date(), Thresholds())
    alerts = reconcile({}, evaluate(model), NOW, receivers_of)
    return [Notice(a, "firing") for a in alerts.values() if receiver in a.receivers]


@pytest.fixture(scope="module")
def notices() -> list[Notice]:
    return seeded_notices("return_reintegration")


def test_an_email_from_real_findings_is_written_for_people(notices: list[Notice]) -> None:
    kinds = {n.alert.kind for n in notices}
    assert {AlertKind.ACTION_POINT_BEHIND, AlertKind.MILESTONE_MISSED, AlertKind.PROJECT_SILENT} <= kinds
    text = email_text("return_reintegration", notices, DASHBOARD)
    assert text.startswith("Dear members of the Thematic Working Group on Return and Reintegration,\n")
    assert "1,234 cases against 2,356 expected by now (0.52 of the progress expected, behind)" in text
    assert "target 10,000 by 31 December 2030" in text
    assert "was due 30 September 2025: missed" in text and "Due: 30 September 2025" in text
    assert "Open since 1 June 2026, 09:00 UTC" in text
    assert (
        "  Why: 6 of 6 action points behind or without data (3.1, 3.2, 3.3, 3.4, 3.5, 3.6) ≥ one third"
        in text
    )
    assert "  Why: last report 200 days ago > 1.5 × its 90-day cadence: silent; milestone M-1 missed" in text
    for n in notices:
        assert f"On the dashboard: {DASHBOARD}/alerts#alert-{n.alert.fingerprint}" in text
    words = URL.sub("", text)
    assert not ISO_DAY.search(words) and not HEX.search(words)
    assert not any(n.alert.subject in words for n in notices)  # no action_point:3.3, milestone:…
    assert decimals_outside_ratios(words) == []  # no 2356.16, no 1234.0
    assert decimals_outside_ratios("1234.0 against 2356.16 (0.52 of the progress expected)") == [
        "1234.0",
        "2356.16",
    ]
    assert "/v1/" not in text and "token" not in text and " ind-" not in text


def test_the_html_links_each_alert_and_keeps_fingerprints_to_its_footer(notices: list[Notice]) -> None:
    page = email_html("return_reintegration", notices, DASHBOARD)
    body, _, footer = page.rpartition('<p style="color:#777">')
    for n in notices:
        assert f'<a href="{DASHBOARD}/alerts#alert-{n.alert.fingerprint}">' in body
        assert n.alert.fingerprint in footer
        assert n.alert.fingerprint not in URL.sub("", body.replace('href="', 'href=" '))
    assert "Thematic Working Group on Return and Reintegration" in body
    assert not ISO_DAY.search(page) and "/v1/" not in page


def test_without_the_dashboard_address_the_email_says_where_to_look(notices: list[Notice]) -> None:
    text = email_text("return_reintegration", notices)
    assert "http" not in text and "On the dashboard:" not in text
    assert "on the Alerts page of the Call for Action Monitor dashboard" in text
    assert "http" not in email_html("return_reintegration", notices)


def test_a_resolved_alert_says_when() -> None:
    alert = Alert(
        fingerprint="0" * 16,
        kind=AlertKind.PRIORITY_BEHIND,
        subject="priority:5",
        severity=Severity.CRITICAL,
        priorities=[5],
        summary="Priority 5 is behind",
        annotations={"title": "Ensure international protection"},
        starts_at=NOW,
        ends_at=NOW + timedelta(days=9, hours=3),
        receivers=["reference_group"],
    )
    text = email_text("reference_group", [Notice(alert, "resolved")], DASHBOARD)
    assert text.startswith(
        "Dear members of the Reference Group,\n\nThe Call for Action Monitor has news of 1 alert."
    )
    assert "[Resolved, critical] Priority 5 is behind" in text
    assert "Priority goal: Ensure international protection" in text
    assert "Resolved on 10 June 2026, 12:00 UTC; open since 1 June 2026, 09:00 UTC" in text
