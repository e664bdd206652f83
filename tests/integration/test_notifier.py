"""The notifier on real servers: e-mails to an aiosmtpd sink (text and HTML parts), webhooks
to a local HTTP server that fails for a while, bp.alerts.v1; time moved by an injected clock."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from services.notifier.app import create_app
from services.notifier.evaluator import Evaluator
from shared.stack import StackEndpoints
from shared.stack.smtp import SmtpSink
from tests.integration.helpers import eventually, serving
from tests.integration.notifier_world import (
    AUTH,
    CONFIG,
    DASHBOARD,
    NOW,
    Hook,
    Notifier,
    notifier_settings,
    running_notifier,
    until,
)
from tests.kafka_helpers import produce, read_topic
from tests.notices import decimals_outside_ratios, seeded_events

pytestmark = pytest.mark.integration


@pytest.fixture
async def notifier(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[Notifier]:
    async for value in running_notifier(stack, isolation, tmp_path, Hook(failures=2)):
        yield value


async def test_alerts_reach_each_recipient_once_with_text_and_html_and_the_webhook_after_it_recovers(
    notifier: Notifier,
) -> None:
    evaluated = await notifier.api.post("/v1/evaluate", headers=AUTH)
    assert evaluated.status_code == 200, evaluated.text
    assert evaluated.json()["firing"] >= 6 and evaluated.json()["notices"] == 0  # group_wait first
    notifier.clock.advance(seconds=30)
    addresses = ["rg@test.example", "le@test.example", "lp@test.example", "rr@test.example"]
    await until(lambda: all(notifier.mail_to(a) for a in addresses), what="an e-mail to each recipient")
    await until(lambda: bool(notifier.hook.delivered()), notifier.clock, "the webhook delivered")
    for address in addresses:
        [mail] = notifier.mail_to(address)
        parts = {part.get_content_type(): part.get_content() for part in mail.iter_parts()}
        assert set(parts) == {"text/plain", "text/html"}
        assert "firing" in mail["Subject"]
    [rg_mail] = notifier.mail_to("rg@test.example")
    text = rg_mail.get_body(("plain",)).get_content()
    assert "Priority 5 is behind" in text and "Ensure international protection" in text
    [le_mail] = notifier.mail_to("le@test.example")
    assert "Priority 1 is behind" in le_mail.get_body(("plain",)).get_content()
    assert "Priority 5" not in le_mail["Subject"] + le_mail.get_body(("plain",)).get_content()
    # The webhook failed twice with 500, then took it: three calls, one notification, one key.
    keys = [key for key, _, _ in notifier.hook.calls]
    assert len(keys) == 3 and len(set(keys)) == 1 and notifier.hook.delivered() == keys[:1]
    assert notifier.hook.calls[-1][2]["receiver"] == "reference_group"
    assert rg_mail["Message-ID"].startswith("<") and rg_mail["Message-ID"].endswith("@cfa-monitor>")

    # A day later nothing more; at repeat_interval each recipient hears once again.
    notifier.clock.advance(days=1)
    await notifier.api.post("/v1/evaluate", headers=AUTH)
    notifier.clock.advance(days=6)
    await until(lambda: all(len(notifier.mail_to(a)) == 2 for a in addresses), what="the weekly repeat")
    await until(lambda: len(notifier.digests()) == 1, what="the weekly digest")
    [digest] = notifier.digests()
    assert digest["To"] == "rg@test.example"
    digest_text = digest.get_body(("plain",)).get_content()
    assert "Priority 5: BEHIND" in digest_text and "Projected late" in digest_text
    repeat = notifier.mail_to("rg@test.example")[1]
    assert repeat["Message-ID"] != rg_mail["Message-ID"]

    alerts = (
        await notifier.api.get("/v1/alerts", params={"state": "firing", "kind": "priority_behind"})
    ).json()
    assert {a["subject"] for a in alerts["items"]} >= {"priority:1", "priority:5"}
    p1 = next(a for a in alerts["items"] if a["subject"] == "priority:1")
    assert p1["receivers"] == ["reference_group", "law_enforcement"] and p1["severity"] == "critical"
    records = await read_topic(
        notifier.settings.kafka_bootstrap_servers, notifier.settings.topics.alerts, lambda r: len(r) >= 12
    )
    assert p1["fingerprint"].encode() in {r.key for r in records}


@pytest.fixture
async def lagging(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[Notifier]:
    """The notifier over the log of a lagging project of priority 3 (tests.unit.test_render)."""
    events = [
        {"_id": f"e-{n}", "id": f"e-{n}", "type": str(kind), "data": data, "time": NOW - timedelta(days=ago)}
        for n, (kind, data, ago) in enumerate(seeded_events())
    ]
    async for value in running_notifier(stack, isolation, tmp_path, Hook(), events=events):
        yield value


async def test_the_emails_are_written_for_the_groups_members(lagging: Notifier) -> None:
    """Figures at the precision they are counted in, days in one format, the group by its
    name, a link to each alert on the dashboard, and no fingerprint, subject key or API."""
    notifier = lagging
    await notifier.api.post("/v1/evaluate", headers=AUTH)
    notifier.clock.advance(seconds=30)
    await until(lambda: bool(notifier.mail_to("rr@test.example")), what="the TWG's e-mail")
    await until(lambda: bool(notifier.mail_to("lp@test.example")), what="another TWG's e-mail")
    [mail] = notifier.mail_to("rr@test.example")
    text = mail.get_body(("plain",)).get_content()
    page = mail.get_body(("html",)).get_content()
    group = "Thematic Working Group on Return and Reintegration"
    assert text.startswith(f"Dear members of the {group},") and group in page
    assert "To the " not in text and "return reintegration" not in text
    lp_text = notifier.mail_to("lp@test.example")[0].get_body(("plain",)).get_content()
    assert lp_text.startswith("Dear members of the Thematic Working Group on Legal Pathways for Migration,")

    # 1,234 return cases monitored of 10,000, against 2356.16 expected as the rules compute it
    assert "1,234 cases against 2,356 expected by now (0.52 of the progress expected, behind)" in text
    assert "target 10,000 by 31 December 2030" in text
    assert "1234.0" not in text + page and "2356.16" not in text + page

    alerts = (await notifier.api.get("/v1/alerts", params={"priority": 3, "limit": 200}, headers=AUTH)).json()
    mine = [a for a in alerts["items"] if "return_reintegration" in a["receivers"]]
    assert {a["kind"] for a in mine} >= {"action_point_behind", "milestone_missed", "project_silent"}
    for alert in mine:
        link = f"{DASHBOARD}/alerts#alert-{alert['fingerprint']}"
        assert f"On the dashboard: {link}" in text and f'href="{link}"' in page
    words = re.sub(r"https?://\S+", "", text)  # the links carry the fingerprints: the words do not
    assert not re.search(r"\b[0-9a-f]{16}\b|\b[0-9a-f]{64}\b", words)
    assert not any(alert["subject"] in words for alert in mine)  # action_point:3.3, milestone:…
    assert "/v1/alerts" not in text + page and "operator token" not in text + page
    assert decimals_outside_ratios(words) == []

    # one format for days: the milestone's due day, the last report, when the alert opened
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    assert "was due 30 September 2025: missed" in text and "Due: 30 September 2025" in text
    assert "Last activity: 3 October 2025" in text and "Open since 1 June 2026, 09:00 UTC" in text
    assert re.search(r"Last report: \d{1,2} [A-Z][a-z]+ 20\d\d\s", text)


async def test_writes_need_the_operator_token(notifier: Notifier) -> None:
    assert (await notifier.api.post("/v1/evaluate")).status_code == 401
    silence = {"matchers": {"kind": "priority_behind"}, "duration": 3600, "author": "ana", "comment": "test"}
    assert (await notifier.api.post("/v1/silences", json=silence)).status_code == 401
    created = await notifier.api.post("/v1/silences", json=silence, headers=AUTH)
    assert created.status_code == 201
    listed = (await notifier.api.get("/v1/silences")).json()
    assert [s["id"] for s in listed["items"]] == [created.json()["id"]]
    assert listed["items"][0]["state"] == "active" and listed["next_cursor"] is None
    assert (await notifier.api.get("/v1/silences", params={"state": "expired"})).json()["items"] == []
    ended = await notifier.api.delete(f"/v1/silences/{created.json()['id']}", headers=AUTH)
    assert ended.status_code == 200
    expired = (await notifier.api.get("/v1/silences", params={"state": "expired"})).json()["items"]
    assert [s["id"] for s in expired] == [created.json()["id"]]
    bad = await notifier.api.post("/v1/silences", json={**silence, "duration": None}, headers=AUTH)
    assert bad.status_code == 400 and "leave it out instead of null" in bad.text
    endless = {name: value for name, value in silence.items() if name != "duration"}
    bad = await notifier.api.post("/v1/silences", json=endless, headers=AUTH)
    assert bad.status_code == 400 and "ends_at or duration" in bad.text


@pytest.fixture
async def refused_by_webhook(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[Notifier]:
    async for value in running_notifier(stack, isolation, tmp_path, Hook(status=400)):
        yield value


async def test_a_webhook_refusing_with_400_is_not_retried_and_shows_in_alerts(
    refused_by_webhook: Notifier,
) -> None:
    notifier = refused_by_webhook
    await notifier.api.post("/v1/evaluate", headers=AUTH)
    notifier.clock.advance(seconds=30)
    await until(lambda: bool(notifier.hook.calls), what="the webhook called")
    await eventually(notifier.outbox_settled, what="nothing left to send")
    notifier.clock.advance(hours=1)  # a retry would have come due long ago
    await notifier.api.post("/v1/evaluate", headers=AUTH)
    await eventually(notifier.outbox_settled, what="nothing left to send")
    assert [status for _, status, _ in notifier.hook.calls] == [400]
    # the operator token sees where and why (a reader would not: DESIGN §11)
    params = {"kind": "priority_behind", "priority": 5}
    alerts = (await notifier.api.get("/v1/alerts", params=params, headers=AUTH)).json()
    [p5] = alerts["items"]
    [failure] = p5["delivery_failures"]
    assert failure["channel"] == "webhook" and "400" in failure["error"]
    assert notifier.mail_to("rg@test.example")  # e-mail is unaffected


async def test_an_acknowledged_alert_is_not_repeated(notifier: Notifier) -> None:
    await notifier.api.post("/v1/evaluate", headers=AUTH)
    notifier.clock.advance(seconds=30)
    await until(lambda: bool(notifier.mail_to("rr@test.example")), what="the first e-mail")
    alerts = (await notifier.api.get("/v1/alerts", params={"priority": 3, "kind": "priority_behind"})).json()
    fingerprint = alerts["items"][0]["fingerprint"]
    ack = await notifier.api.post(
        f"/v1/alerts/{fingerprint}/ack", json={"by": "ana", "comment": "on it"}, headers=AUTH
    )
    assert ack.status_code == 200 and ack.json()["acknowledged_by"] == "ana"
    notifier.clock.advance(days=7)
    await notifier.api.post("/v1/evaluate", headers=AUTH)
    await until(lambda: len(notifier.mail_to("rr@test.example")) == 2, what="the repeat of the others")
    repeat = notifier.mail_to("rr@test.example")[1].get_body(("plain",)).get_content()
    assert "Priority 3 is behind" not in repeat  # acknowledged: its repeat is held back
    missing = await notifier.api.post("/v1/alerts/nope/ack", json={"by": "ana"}, headers=AUTH)
    assert missing.status_code == 404


@pytest.fixture
async def evaluating_on_progress(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> AsyncIterator[Notifier]:
    async for value in running_notifier(stack, isolation, tmp_path, Hook(), on_progress=True):
        yield value


async def test_a_progress_change_makes_it_evaluate(evaluating_on_progress: Notifier) -> None:
    """evaluate_every is 0 (never on a timer): only the bp.progress.v1 message can make the
    evaluation of the next day."""
    notifier = evaluating_on_progress
    await eventually(lambda: _evaluated_on(notifier.evaluator, NOW.date()), what="the evaluation at start")
    notifier.clock.advance(days=1)
    change = (b"priority:5", [], b'{"subject": "priority:5", "status": "behind"}')

    async def evaluated_after_a_change() -> bool:
        # Repeated: a consumer reading from "latest" may not have its position when the first comes.
        await produce(notifier.settings.kafka_bootstrap_servers, notifier.settings.topics.progress, [change])
        return await _evaluated_on(notifier.evaluator, (NOW + timedelta(days=1)).date())

    await eventually(evaluated_after_a_change, what="an evaluation after the progress change")


async def _evaluated_on(evaluator: Evaluator, day: date) -> bool:
    return evaluator.last is not None and evaluator.last.as_of == day


async def test_an_evaluation_as_of_another_day_is_a_dry_run_that_changes_nothing(notifier: Notifier) -> None:
    live = (await notifier.api.post("/v1/evaluate", headers=AUTH)).json()
    assert live["dry_run"] is False and live["firing"] >= 6
    before = (await notifier.api.get("/v1/alerts?limit=200", headers=AUTH)).json()["items"]

    past = await notifier.api.post("/v1/evaluate", params={"as_of": "2025-01-02"}, headers=AUTH)
    assert past.status_code == 200, past.text
    assert past.json()["dry_run"] is True and past.json()["as_of"] == "2025-01-02"
    would_fire = {alert["fingerprint"] for alert in past.json()["would_fire"]}
    assert would_fire != {alert["fingerprint"] for alert in before}  # another day, other findings
    later = await notifier.api.post("/v1/evaluate", params={"as_of": "2027-06-01"}, headers=AUTH)
    assert later.json()["dry_run"] is True and later.json()["would_fire"]

    after = (await notifier.api.get("/v1/alerts?limit=200", headers=AUTH)).json()["items"]
    assert after == before  # nothing resolved, nothing fired
    notifier.clock.advance(seconds=30)  # group_wait: the live alerts' first notices come due
    await until(lambda: bool(notifier.mail_to("rg@test.example")), what="the first notice")
    await until(lambda: bool(notifier.hook.delivered()), notifier.clock, "the webhook delivered")
    assert all("resolved" not in m["Subject"].lower() for m in notifier.smtp.messages)

    today = await notifier.api.post("/v1/evaluate", params={"as_of": NOW.date().isoformat()}, headers=AUTH)
    assert today.json()["dry_run"] is False  # today is the live evaluation


@pytest.mark.parametrize("as_of", ["0", "1735689600", "2025-1-2", "2025-02-30", "yesterday"])
async def test_a_date_that_is_no_iso_date_is_refused(notifier: Notifier, as_of: str) -> None:
    answer = await notifier.api.post("/v1/evaluate", params={"as_of": as_of}, headers=AUTH)
    assert answer.status_code == 400
    assert "as_of" in answer.text and ("YYYY-MM-DD" in answer.text or "calendar" in answer.text)


async def test_the_clock_setting_runs_the_notifier_as_of_another_day(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    config = tmp_path / "notifier.yaml"
    config.write_text(CONFIG.format(hook="http://127.0.0.1:9/hook", on_progress="false"))
    smtp = SmtpSink()
    settings = notifier_settings(stack, isolation, smtp, config).model_copy(
        update={"clock_start": datetime(2026, 6, 30, 9, tzinfo=UTC), "clock_frozen": True}
    )
    async with serving(create_app(settings), "http://notifier") as api:  # no clock given: the settings'
        evaluated = (await api.post("/v1/evaluate", headers=AUTH)).json()
        alerts = (await api.get("/v1/alerts", headers=AUTH)).json()["items"]
    assert evaluated["as_of"] == "2026-06-30" and evaluated["dry_run"] is False
    assert alerts and {a["starts_at"] for a in alerts} == {"2026-06-30T09:00:00Z"}


RUSSIAN_READER = (
    "twg:\n"
    "  law_enforcement: {email: [le@test.example]}\n"
    "  legal_pathways: {email: [lp@test.example]}\n"
    "  return_reintegration: {email: [rr@test.example, ru@test.example], languages: {ru@test.example: ru}}\n"
)


async def test_a_member_who_reads_russian_gets_the_alerts_in_russian(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    """One e-mail per language a group reads: the same alerts, the summary, why, figures,
    days and moments in Russian; the Call for Action's texts and the projects' as written."""
    events = [
        {"_id": f"e-{n}", "id": f"e-{n}", "type": str(kind), "data": data, "time": NOW - timedelta(days=ago)}
        for n, (kind, data, ago) in enumerate(seeded_events())
    ]
    async for notifier in running_notifier(
        stack, isolation, tmp_path, Hook(), events=events, more_config=RUSSIAN_READER
    ):
        await notifier.api.post("/v1/evaluate", headers=AUTH)
        notifier.clock.advance(seconds=30)
        await until(lambda n=notifier: bool(n.mail_to("ru@test.example")), what="the Russian reader's e-mail")
        await until(lambda n=notifier: bool(n.mail_to("rr@test.example")), what="the English reader's e-mail")
        [russian] = notifier.mail_to("ru@test.example")
        [english] = notifier.mail_to("rr@test.example")
        assert str(russian["To"]) == "ru@test.example" and str(english["To"]) == "rr@test.example"
        text = russian.get_body(("plain",)).get_content()
        page = russian.get_body(("html",)).get_content()
        assert text.startswith("Уважаемые члены группы «Thematic Working Group on Return and Reintegration»,")
        assert (
            "Пункт действий 3.3 отстаёт (Return cases followed by monitoring and evaluation systems)" in text
        )
        assert (
            "1\xa0234 cases при ожидаемых к этой дате 2\xa0356 (0.52 ожидаемого продвижения, отставание)"
            in text
        )
        assert "ожидался 30 сентября 2025\u202fг.: пропущен" in text
        assert "Почему: последнее сообщение 200 дн. назад > 1.5 × периодичности 90 дн.: молчит" in text
        assert "Действует с 1 июня 2026, 09:00 UTC" in text and '<html lang="ru">' in page
        assert "Мониторинг Призыва к действию" in str(russian["Subject"])
        assert not re.search(r"\d{4}-\d{2}-\d{2}", text) and "На панели: https://" in text
        # The English reader's e-mail is the one the group always had.
        assert english.get_body(("plain",)).get_content().startswith("Dear members of the Thematic")
