"""The Reference Group's dashboard in a real headless Chromium, and the IATI export: the simulated projects'
reports through intake and the aggregator, the page loaded over HTTP, `as_of` changed with
the date picker, the statuses changing with it; a screenshot into test-output/."""

from __future__ import annotations

import io
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pypdfium2 as pdfium
import pytest
from lxml import etree
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from pypdf import PdfReader

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from shared.adapters.mongo import ALERTS, EVENTS, connect
from shared.clock import fixed_clock
from shared.stack import StackEndpoints
from tests.browser import CHROMIUM_ARGS, chromium
from tests.cli import cfamon
from tests.conftest import TEST_OUTPUT, service_settings
from tests.iati_schema import activity_schema
from tests.integration.helpers import ServerThread, eventually, running, stack_env

pytestmark = pytest.mark.integration
TODAY = datetime(2026, 7, 1, 9, tzinfo=UTC)
READER = "r" * 40


@dataclass
class Dashboard:
    url: str
    events: int


@pytest.fixture
async def dashboard(stack: StackEndpoints, isolation: dict[str, str]) -> AsyncIterator[Dashboard]:
    clock = fixed_clock(TODAY)
    intake = service_settings(IntakeSettings, stack, isolation)
    aggregator = service_settings(AggregatorSettings, stack, isolation, reader_token=READER)
    env = stack_env(intake)
    mongo = connect(stack.mongodb_url)
    try:
        # Intake on the real clock: the simulator registers its projects as of now.
        async with running(create_intake(intake)):
            with ServerThread(create_aggregator(aggregator, clock)) as server:
                simulated = cfamon(
                    "simulate", "--until", "2026-06-30", "--rate", "2000", "--seed", "7", env=env, timeout=300
                )
                assert simulated.returncode == 0, simulated.stderr[-2000:]
                events = mongo[intake.mongodb_db][EVENTS]
                sent: list[int] = []

                async def settled() -> bool:
                    sent.append(await events.count_documents({}))
                    return len(sent) > 20 and sent[-1] == sent[-20] > 0  # unchanged for 2 s

                await eventually(settled, timeout=120, what="the simulated reports stored")
                # The notifier evaluates at start: its firing alerts are what the page lists.
                notifier = service_settings(NotifierSettings, stack, isolation, notifier_tick_seconds=0.1)
                async with running(create_notifier(notifier, clock)):
                    alerts = mongo[intake.mongodb_db][ALERTS]
                    await eventually(lambda: _has(alerts), what="the notifier's first evaluation")
                yield Dashboard(server.url, sent[-1])
    finally:
        await mongo.drop_database(intake.mongodb_db)
        await mongo.close()


async def _has(collection: Any) -> bool:
    return await collection.count_documents({"state": "firing"}) > 0


@asynccontextmanager
async def signed_in(dashboard: Dashboard) -> AsyncIterator[tuple[Browser, BrowserContext]]:
    """Chromium, and a browsing context holding the reader's cookie; closed at the end."""
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium(), args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            await context.add_cookies([{"name": "cfa_token", "value": READER, "url": dashboard.url}])
            yield browser, context
        finally:
            await browser.close()


async def _priority_statuses(page: Page) -> dict[str, str]:
    tiles = await page.locator("[data-priority]").all()
    return {
        await t.get_attribute("data-priority") or "": await t.locator(".badge").inner_text() for t in tiles
    }


async def test_the_dashboard_shows_the_priorities_and_follows_the_date_picker(dashboard: Dashboard) -> None:
    async with signed_in(dashboard) as (_, context):
        page = await context.new_page()
        response = await page.goto(dashboard.url + "/")
        assert response is not None and response.status == 200
        await page.wait_for_load_state("load")
        loaded_ms = await page.evaluate("performance.getEntriesByType('navigation')[0].duration")
        size = len(await page.content())
        assert await page.locator("h1").inner_text() == "Budapest Process Call for Action 2025–2030"
        assert await page.locator("#as-of").inner_text() == "1 July 2026"
        assert await page.locator("article.priority").count() == 6
        assert await page.locator("details.ap").count() == 37
        today = await _priority_statuses(page)
        assert set(today) == {"1", "2", "3", "4", "5", "6"}
        assert today["5"] == "Behind"  # the simulated projects of priority 5 lag
        # Each tile names its priority and leads to it.
        tile = page.locator('[data-priority="2"]')
        assert "legal migration" in await tile.inner_text()
        await tile.click()
        assert page.url.endswith("#priority-2")
        projects = await page.locator('tr[id^="project-SIM-"]').count()
        assert projects == 16

        # Each priority card says why it has its colour.
        counts = await page.locator('[data-priority="5"] .counts').inner_text()
        assert re.fullmatch(r"\d+ of \d+ action points (behind|without data|at risk)( · .+)?", counts), counts
        # And the priority, each action point, indicator and project say why, with the numbers.
        why = await page.locator("#priority-5 > p.why").inner_text()
        assert re.fullmatch(
            r"Behind: \d+ of \d+ action points behind or without data \(.+\) ≥ one third", why
        ), why
        badge = page.locator("#priority-5 h3 .badge")
        assert await badge.get_attribute("title") == why.removeprefix("Behind: ")
        assert await page.locator("details.ap > p.why").count() == 37
        assert "days ago" in await page.locator('tr[id^="project-SIM-"] .why').first.inner_text()

        # An action point looks openable (a marker that turns), opens on a click, and
        # shows its indicators, each with its chart sized to its card.
        ap = page.locator("details#ap-5\\.1")
        toggle = ap.locator("summary .toggle")
        assert await toggle.is_visible() and await toggle.inner_text() == "▸"
        assert await ap.locator("summary").evaluate("s => getComputedStyle(s).cursor") == "pointer"
        await ap.locator("summary").click()
        assert await toggle.evaluate("t => getComputedStyle(t).transform") != "none"  # turned
        indicator = ap.locator(".indicator").first
        await indicator.locator("svg polyline").first.wait_for(state="visible")
        assert "target" in await indicator.locator(".figures").inner_text()
        card, chart = await indicator.bounding_box(), await indicator.locator("svg").bounding_box()
        assert card and chart and chart["width"] <= card["width"]  # never wider than its card
        assert chart["width"] >= 0.8 * min(card["width"], 560)  # and filling it, up to 560 px
        description = await indicator.locator("svg").get_attribute("aria-label") or ""
        years = await indicator.locator("svg text").all_text_contents()
        reached = re.search(r"reached on \d+ \w+ (\d{4})", description)
        if reached:  # the axis goes as far as the text says
            assert reached[1] in years, (description, years)
        # Each figure links to every report behind it; the counted values make its actual.
        drill = indicator.locator("p.drill a")
        href = await drill.get_attribute("href") or ""
        assert re.fullmatch(r"/indicators/ind-5\.1-[a-z0-9-]+\?as_of=2026-07-01", href), href
        reports = await context.new_page()
        response = await reports.goto(dashboard.url + href)
        assert response is not None and response.status == 200
        rows = reports.locator("#measurements tbody tr[data-state]")
        assert await rows.count() > 0
        assert set(await reports.locator("#measurements td.review").all_inner_texts()) == {"pending"}
        assert (
            await reports.locator("h2 .badge").inner_text()
            == await indicator.locator("h4 .badge").inner_text()
        )
        TEST_OUTPUT.mkdir(exist_ok=True)
        await reports.screenshot(path=str(TEST_OUTPUT / "dashboard-indicator-reports.png"), full_page=True)
        await reports.close()
        missing = await page.request.get(dashboard.url + "/indicators/ind-nope")
        assert missing.status == 404
        shot = TEST_OUTPUT / "dashboard.png"
        await page.screenshot(path=str(shot), full_page=True)
        await ap.screenshot(path=str(TEST_OUTPUT / "dashboard-action-point-5.1.png"))
        await page.goto(dashboard.url + "/")
        await page.screenshot(path=str(TEST_OUTPUT / "dashboard-top.png"))

        # Alerts in words, dates in one format, and a page that lists them all.
        listed = await page.locator("ul.alerts li").all_inner_texts()
        assert listed, "the notifier's alerts are not shown"
        for line in listed:
            assert not re.search(r"\d{4}-\d{2}-\d{2}", line), line
            assert re.search(r"since \d{1,2} [A-Z][a-z]+ \d{4}$", line), line
        assert "/v1/alerts" not in await page.content()
        await page.click("#all-alerts")
        assert page.url.endswith("/alerts")
        everything = await page.locator("ul.alerts li").count()
        assert everything >= len(listed)
        first = page.locator("ul.alerts li").first
        assert (await first.get_attribute("id") or "").startswith("alert-")
        await page.screenshot(path=str(TEST_OUTPUT / "dashboard-alerts.png"), full_page=True)
        await first.locator("a").click()  # to what the alert is about, on the dashboard
        assert re.search(r"/#(ap-|priority-|project-)", page.url), page.url
        await page.goto(dashboard.url + "/")

        # As known at a moment before anything was received: nothing counts; and what moved
        # since then, with the reports that moved it.
        then = await page.goto(dashboard.url + "/?known_at=2026-01-01T00:00")
        assert then is not None and then.status == 200
        assert await page.locator("#known-at").inner_text() == "1 January 2026, 00:00 UTC"
        assert set((await _priority_statuses(page)).values()) == {"Behind"}
        assert await page.locator('tr[id^="project-SIM-"]').count() == 0
        await page.goto(dashboard.url + "/?since=2026-01-01T00:00")
        assert await page.locator("#moved tbody tr").count() > 0
        received = await page.locator("#received").inner_text()
        assert re.match(r"\d+ reports? received in between", received), received
        await page.screenshot(path=str(TEST_OUTPUT / "dashboard-changes-since.png"), full_page=True)
        # Over the approved figures only: nothing is approved yet, so nothing counts; every
        # simulated report waits for the Secretariat's review.
        await page.goto(dashboard.url + "/?figures=approved")
        assert await page.locator("#basis").inner_text() == "over the figures the Secretariat approved"
        assert set((await _priority_statuses(page)).values()) == {"Behind"}
        waiting = await page.locator("details.ap .badge.review").all_inner_texts()
        assert waiting and all(re.fullmatch(r"\d+ awaiting review", w) for w in waiting), waiting
        await page.goto(dashboard.url + "/")
        assert await page.locator("#basis").inner_text() == "over every reported figure"
        bad_moment = await page.goto(dashboard.url + "/?known_at=yesterday")
        assert bad_moment is not None and bad_moment.status == 400
        await page.goto(dashboard.url + "/")

        # The date picker: day, month and year in the page's language; early in 2025
        # little was due, and the figures are those of then.
        assert await page.locator("#month option").first.inner_text() == "January"
        await page.select_option("#day", "1")
        await page.select_option("#month", "3")
        await page.select_option("#year", "2025")
        async with page.expect_navigation():
            await page.click("header form.as-of button[type=submit]")
        assert "day=1&month=3&year=2025" in page.url
        assert await page.locator("#as-of").inner_text() == "1 March 2025"
        early = await _priority_statuses(page)
        assert early != today, "the statuses did not change with as_of"
        await page.screenshot(path=str(TEST_OUTPUT / "dashboard-2025-03-01.png"), full_page=True)
        by_link = await page.goto(dashboard.url + "/?as_of=2025-03-01")
        assert by_link is not None and by_link.status == 200
        assert await page.locator("#as-of").inner_text() == "1 March 2025"
        # A bad date is said so, and no figures are shown under it.
        hostile = ("as_of=<script>document.title='x'</script>", "day=1&month=1&year=" + "9" * 20)
        for bad_query in ("as_of=someday", "day=31&month=2&year=2026", *hostile):
            bad = await page.goto(f"{dashboard.url}/?{bad_query}")
            assert bad is not None and bad.status == 400
            assert await page.locator("#problem").is_visible()
            assert await page.locator("article.priority").count() == 0
            assert await page.locator("main script").count() == 0  # shown as text, never run
            assert await page.title() != "x"
        await page.goto(f"{dashboard.url}/?as_of=someday")
        assert "“someday” is not a date" in await page.locator("#problem").inner_text()
    print(
        f"dashboard over {dashboard.events} simulated events: loaded in {loaded_ms:.0f} ms, "
        f"{size / 1024:.0f} KiB of HTML; screenshot {shot}"
    )


async def test_the_dashboard_in_russian_with_its_map(dashboard: Dashboard) -> None:
    """The page in Russian, asked with ?lang=ru (then remembered) or by the browser's
    language; the Call for Action's own texts in English, marked as such; the countries on a
    map, each linking to its row."""
    async with signed_in(dashboard) as (browser, context):
        page = await context.new_page()
        response = await page.goto(dashboard.url + "/?lang=ru")
        assert response is not None and response.status == 200
        assert response.headers["content-language"] == "ru"
        assert await page.locator("html").get_attribute("lang") == "ru"
        assert await page.locator("h1").inner_text() == "Будапештский процесс: Призыв к действию 2025–2030"
        assert await page.locator("#as-of").inner_text() == "1 июля 2026\u202fг."
        assert await page.locator("h2#overview").inner_text() == "Кратко"
        statuses = await _priority_statuses(page)
        assert statuses["5"] == "Отставание"
        assert set(statuses.values()) <= {"По плану", "Под угрозой", "Отставание", "Нет данных"}
        counts = await page.locator('[data-priority="5"] .counts').inner_text()
        assert re.fullmatch(
            r"(отстают|без данных|под угрозой) \d+ из \d+ пунктов действий( · .+)?", counts
        ), counts
        assert await page.locator("#month option").first.inner_text() == "январь"
        why = await page.locator("#priority-5 > p.why").inner_text()  # why, in Russian too
        assert re.fullmatch(
            r"Отставание: \d+ из \d+ пунктов действий отстают или без данных \(.+\) ≥ одной трети", why
        ), why
        assert "дн. назад" in await page.locator('tr[id^="project-SIM-"] .why').first.inner_text()
        alerts = await page.locator("ul.alerts li").all_inner_texts()  # the notifier's, in Russian
        assert alerts and all(re.search(r"с \d{1,2} [а-я]+ \d{4}\u202fг\.$", line) for line in alerts), alerts
        assert any(re.search(r"Приоритет \d отстаёт: \d+ из \d+ пунктов действий", line) for line in alerts)
        # The Call for Action's texts: English, marked, and the page says why.
        assert await page.locator("#catalog-language").is_visible()
        title = page.locator("#priority-2 h3 span[lang=en]").first
        assert "legal migration" in await title.inner_text()
        # Countries by their Russian names; figures in the Russian way.
        rows = page.locator('tr[id^="country-"]')
        assert await rows.count() > 0
        names = await rows.locator("td:first-child").all_inner_texts()
        assert all(re.search("[а-яА-Я]", name) for name in names), names
        await page.screenshot(path=str(TEST_OUTPUT / "dashboard-ru.png"), full_page=False)

        # The map: every country of the table on it, coloured by its activities, each
        # linking to its row; nothing runs and nothing is fetched from elsewhere.
        world = page.locator("#map svg")
        assert await world.count() == 1
        linked = page.locator("#map a[data-country]")
        codes = {await a.get_attribute("data-country") for a in await linked.all()}
        rows_codes = {(await r.get_attribute("id") or "")[len("country-") :] for r in await rows.all()}
        assert codes and codes <= rows_codes and len(codes) >= len(rows_codes) - 2, (codes, rows_codes)
        fills = {await a.get_attribute("data-fill") for a in await linked.all()}
        assert len(fills) > 1, "every country has the same colour"
        assert await page.locator("#map script, #map image, #map use").count() == 0
        assert "http" not in (await world.evaluate("s => s.outerHTML")).replace(
            "http://www.w3.org/2000/svg", ""
        )
        tip = await linked.first.locator("title").text_content() or ""
        assert re.search("[а-яА-Я]+: [\\d\u00a0]+ мероприяти", tip), tip
        code = await linked.first.get_attribute("data-country")
        await linked.first.click()
        assert page.url.endswith(f"#country-{code}")
        TEST_OUTPUT.mkdir(exist_ok=True)
        await page.locator("#map").screenshot(path=str(TEST_OUTPUT / "dashboard-map.png"))
        await page.click("#map-status")
        assert "map=status" in page.url
        status_fills = {
            await a.get_attribute("data-fill") for a in await page.locator("#map a[data-country]").all()
        }
        assert status_fills <= {"#1b7f3b", "#b26a00", "#b3261e", "#8a93a3"}, status_fills
        await page.locator("#map").screenshot(path=str(TEST_OUTPUT / "dashboard-map-status.png"))

        # The language is remembered: the next pages, without ?lang=, are in Russian too.
        await page.goto(dashboard.url + "/alerts")
        assert (
            await page.locator("h2#alerts").inner_text()
            == f"Действующие оповещения ({await page.locator('ul.alerts li').count()})"
        )
        bad = await page.goto(dashboard.url + "/?as_of=someday")
        assert bad is not None and bad.status == 400
        assert "«someday» — не дата" in await page.locator("#problem").inner_text()
        await page.click("#lang-en")  # the same page, in English, and English from now on
        assert "“someday” is not a date" in await page.locator("#problem").inner_text()
        await page.goto(dashboard.url + "/")
        assert await page.locator("h2#overview").inner_text() == "At a glance"
        unknown = await page.goto(dashboard.url + "/?lang=xx")
        assert unknown is not None and unknown.status == 400
        assert "is not a language of the monitor" in await page.locator("#problem").inner_text()

        # A language cookie made up by hand is no language: the page takes the browser's.
        await context.add_cookies(
            [{"name": "cfa_lang", "value": '"><script>x</script>', "url": dashboard.url}]
        )
        made_up = await page.goto(dashboard.url + "/")
        assert made_up is not None and made_up.headers["content-language"] == "en"
        assert await page.locator("main script").count() == 0

        # A browser set to Russian gets Russian without asking.
        russian = await browser.new_context(locale="ru-RU")
        await russian.add_cookies([{"name": "cfa_token", "value": READER, "url": dashboard.url}])
        other = await russian.new_page()
        await other.goto(dashboard.url + "/")
        assert await other.locator("h2#overview").inner_text() == "Кратко"
        await russian.close()


async def test_the_meeting_pack_of_the_simulated_projects_in_both_languages(dashboard: Dashboard) -> None:
    """The pack of the `make run` data (the simulator's projects) over HTTP, in English and in
    Russian: read back, its pages counted, its first page and its map drawn into test-output/."""
    figures = {}
    async with httpx.AsyncClient(
        base_url=dashboard.url, headers={"Authorization": f"Bearer {READER}"}
    ) as http:
        for p in (await http.get("/v1/priorities")).json()["items"]:
            figures[p["id"]] = p
        ap = (await http.get("/v1/action-points/5.1")).json()
        sizes = {}
        for language in ("en", "ru"):
            response = await http.get("/v1/report.pdf", params={"lang": language}, timeout=120)
            assert response.status_code == 200 and response.headers["content-language"] == language
            body = response.content
            (TEST_OUTPUT / f"meeting-pack-{language}.pdf").write_bytes(body)
            reader = PdfReader(io.BytesIO(body))
            pages = [" ".join(page.extract_text().split()) for page in reader.pages]
            text = " ".join(pages)
            sizes[language] = (len(reader.pages), len(body))
            for p in figures.values():  # every priority, its title as the Call for Action has it
                assert p["title"][:40] in text
            indicator = ap["indicators"][0]
            assert indicator["name"] in text
            if language == "ru":
                assert "Шесть приоритетов" in text and "Данные на 1 июля 2026" in text and "Страны" in text
                assert "Афганистан (AFG)" in text  # the countries by their Russian names
            else:
                assert "The six priorities" in text and "Afghanistan (AFG)" in text
            document = pdfium.PdfDocument(body)
            try:
                first = document[0].render(scale=1.5).to_pil()
                first.save(TEST_OUTPUT / f"meeting-pack-{language}-page-1.png")
                with_map = next(
                    n
                    for n, page in enumerate(pages)
                    if ("Countries" if language == "en" else "Страны") in page
                )
                document[with_map].render(scale=1.5).to_pil().save(
                    TEST_OUTPUT / f"meeting-pack-{language}-map.png"
                )
                small = document[with_map].render(scale=0.5).to_pil().convert("RGB")
                coloured = {colour for _, colour in small.getcolors(1 << 20) or []}
            finally:
                document.close()
            # The map's colours are on the page: the countries with activities are coloured.
            assert {(0x93, 0xBD, 0xE0), (0x5B, 0x97, 0xCB)} & coloured, "no country coloured on the map page"
    print(f"meeting pack of {dashboard.events} simulated events: pages and bytes {sizes}")


async def test_without_public_reads_the_dashboard_asks_for_a_reader_token(dashboard: Dashboard) -> None:
    async with httpx.AsyncClient(base_url=dashboard.url) as client:
        first = await client.get("/")
        assert first.status_code == 303 and first.headers["location"] == "/login"
        refused = await client.post("/login", data={"token": "not-it"})
        assert refused.status_code == 401 and "not a reader" in refused.text
        logged_in = await client.post("/login", data={"token": READER})
        assert logged_in.status_code == 303
        assert "httponly" in logged_in.headers["set-cookie"].lower()
        page = await client.get("/")
        assert page.status_code == 200 and "Priority 1" in page.text
        # The read API takes the cookie too (reads only: shared.adapters.auth.require).
        api = await client.get("/v1/priorities")
        assert api.status_code == 200


async def test_the_iati_export_of_the_simulated_projects_is_valid_iati_2_03(dashboard: Dashboard) -> None:
    schema = activity_schema()
    async with httpx.AsyncClient(
        base_url=dashboard.url, headers={"Authorization": f"Bearer {READER}"}
    ) as client:
        response = await client.get("/v1/export/iati", params={"as_of": "2026-06-30"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/xml")
    assert 'filename="cfa-activities-2026-06-30.xml"' in response.headers["content-disposition"]
    document = etree.fromstring(response.content)
    assert schema.validate(document), "\n".join(str(e) for e in schema.error_log)
    activities = document.findall("iati-activity")
    assert len(activities) == 16
    asylum = next(a for a in activities if a.findtext("iati-identifier", "").endswith("-SIM-ASYLUM-TR"))
    assert {c.get("code") for c in asylum.findall("recipient-country")} <= {"IR", "PK", "TR"}
    assert sum(int(c.get("percentage", "0")) for c in asylum.findall("recipient-country")) == 100
    indicator = asylum.find("result/indicator")
    assert indicator is not None and indicator.find("baseline") is not None
    periods = indicator.findall("period")
    assert [p.find("period-start").get("iso-date")[:4] for p in periods] == ["2025", "2026"]  # type: ignore[union-attr]
    actuals = [float(p.find("actual").get("value")) for p in periods]  # type: ignore[union-attr,arg-type]
    assert sum(actuals) > 0
    # The project's actuals add up to what the read API shows for it on that indicator.
    async with httpx.AsyncClient(
        base_url=dashboard.url, headers={"Authorization": f"Bearer {READER}"}
    ) as client:
        status = await client.get("/v1/action-points/5.1", params={"as_of": "2026-06-30"})
    shown = status.json()["indicators"][0]
    assert shown["actual"] == sum(actuals)  # SIM-ASYLUM-TR is the only project on 5.1
    print(
        f"IATI export: {len(activities)} activities, {len(response.content) / 1024:.0f} KiB, valid against 2.03"
    )
