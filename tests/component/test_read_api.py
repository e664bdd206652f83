"""The read API over a live view fed by hand: fields, paging, as_of, problem details."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from services.aggregator.api import create_router
from services.aggregator.settings import AggregatorSettings
from shared.adapters.knownat import KnownAt
from shared.adapters.problems import install_problem_handlers
from shared.clock import fixed_clock
from shared.domain.liveview import LiveView
from shared.domain.status import Thresholds
from shared.events.models import EventType
from tests.factories import measurement_data
from tests.readmodel_facts import FRAMEWORK, PID, FakeEventLog, base_documents, document

Q2 = {"period_start": "2026-04-01", "period_end": "2026-06-30"}
Q3 = {"period_start": "2026-07-01", "period_end": "2026-09-30"}

TODAY = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
OPERATOR = "o" * 40
# Reports that leave the figures as they are: a first version of the second quarter's 200
# (150, corrected), and a third quarter's 50 withdrawn.
CORRECTIONS = [
    document(EventType.INDICATOR_MEASURED, measurement_data(PID, value=150, **Q2), 2, "m2-first"),
    document(EventType.INDICATOR_MEASURED, measurement_data(PID, value=50, **Q3), 6, "m3"),
    document(
        EventType.REPORT_WITHDRAWN,
        {"project_id": PID, "indicator_id": "ind-3.1-returnees-supported", **Q3, "reason": "counted twice"},
        7,
        "w3",
    ),
]


def read_api(documents: list[dict[str, Any]]) -> tuple[LiveView, FakeEventLog, FastAPI]:
    """The read API over a live view and an event log holding `documents`, reads public."""
    view, log = LiveView(FRAMEWORK, Thresholds()), FakeEventLog(documents)
    view.apply_documents(documents)
    view.ready.set()
    app = FastAPI()
    install_problem_handlers(app)
    settings = AggregatorSettings(public_reads=True, operator_token=OPERATOR)
    app.include_router(create_router(settings, view, log, KnownAt(log, view.receipts), fixed_clock(TODAY)))
    return view, log, app


@pytest.fixture
def client() -> Iterator[TestClient]:
    _, _, app = read_api([*base_documents(), *CORRECTIONS])
    with TestClient(app) as test_client:
        yield test_client


def test_action_point_has_the_fields_clients_rely_on(client: TestClient) -> None:
    body = client.get("/v1/action-points/3.1").json()
    assert {
        "id",
        "priority",
        "text",
        "status",
        "stale",
        "last_activity_at",
        "projects",
        "countries",
        "activity_count",
        "indicators",
    } <= body.keys()
    [indicator] = body["indicators"]
    assert {
        "id",
        "name",
        "unit",
        "baseline",
        "target",
        "actual",
        "progress",
        "expected",
        "ratio",
        "status",
        "projected_completion",
        "projected_late",
    } <= indicator.keys()
    assert (indicator["actual"], body["activity_count"], body["status"]) == (320, 2, "behind")


def test_as_of_changes_the_figures(client: TestClient) -> None:
    april = client.get("/v1/action-points/3.1", params={"as_of": "2026-04-15"}).json()
    assert april["indicators"][0]["actual"] == 120 and april["activity_count"] == 1
    assert client.get("/v1/action-points/3.1").json()["indicators"][0]["actual"] == 320  # today = 2026-07-01


def test_lists_page_with_limit_and_cursor(client: TestClient) -> None:
    seen, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = client.get("/v1/action-points", params=params).json()
        seen += [ap["id"] for ap in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == 37 and seen[:2] == ["1.1", "1.2"] and seen[-1] == "6.8"
    assert len(set(seen)) == 37
    priorities = client.get("/v1/priorities").json()
    assert [p["id"] for p in priorities["items"]] == [1, 2, 3, 4, 5, 6] and priorities["next_cursor"] is None
    assert {"id", "title", "status", "action_points"} <= priorities["items"][0].keys()


def test_filters(client: TestClient) -> None:
    third = client.get("/v1/action-points", params={"priority": 3}).json()["items"]
    assert [ap["id"] for ap in third] == ["3.1", "3.2", "3.3", "3.4", "3.5", "3.6"]
    behind = client.get("/v1/action-points", params={"status": "behind"}).json()["items"]
    assert [ap["id"] for ap in behind] == ["3.1"]


def test_projects_countries_and_report(client: TestClient) -> None:
    assert client.get(f"/v1/projects/{PID}").json()["activity_count"] == 2
    assert client.get("/v1/countries/pak").json()["name"] == "Pakistan"
    report = client.get("/v1/report", params={"as_of": "2026-07-01"}).json()
    assert report["as_of"] == "2026-07-01"
    assert report["action_point_status"]["behind"] == 1
    assert [late["indicator"] for late in report["projected_late"]] == ["ind-3.1-returnees-supported"]


@pytest.mark.parametrize(
    ("path", "params", "status", "field"),
    [
        ("/v1/action-points/9.9", {}, 404, None),
        ("/v1/projects/NOPE-1", {}, 404, None),
        ("/v1/priorities", {"as_of": "yesterday"}, 400, "query.as_of"),
        ("/v1/priorities", {"limit": 0}, 400, "query.limit"),
        ("/v1/priorities", {"cursor": "%%%"}, 400, "query.cursor"),
        ("/v1/action-points", {"status": "fine"}, 400, "query.status"),
    ],
)
def test_errors_are_problem_details(
    client: TestClient, path: str, params: dict[str, object], status: int, field: str | None
) -> None:
    response = client.get(path, params=params)
    assert response.status_code == status
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["instance"] == path
    if field:
        assert field in [e["field"] for e in body["errors"]]


def test_a_problem_is_said_in_the_language_asked(client: TestClient) -> None:
    """The title (and a detail the catalogs hold) in Russian when asked; fields' messages and
    the machine-readable parts as they are."""
    english = client.get("/v1/projects/NOPE-1")
    assert english.json()["title"] == "Not Found" and english.headers["content-language"] == "en"
    russian = client.get("/v1/projects/NOPE-1", headers={"Accept-Language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert russian.status_code == 404 and russian.json()["title"] == "Не найдено"
    assert russian.headers["content-language"] == "ru" and "Accept-Language" in russian.headers["vary"]
    invalid = client.get("/v1/priorities", params={"limit": 0, "lang": "ru"})
    assert invalid.json()["title"] == "Неверный запрос"
    assert [e["field"] for e in invalid.json()["errors"]] == ["query.limit"]
    unknown = client.get("/v1/projects/NOPE-1", params={"lang": "xx"})
    assert unknown.json()["title"] == "Not Found" and unknown.headers["content-language"] == "en"


def test_openapi_describes_the_read_api(client: TestClient) -> None:
    paths = client.get("/openapi.json").json()["paths"]
    assert {"/v1/priorities", "/v1/action-points/{action_point_id}", "/v1/report"} <= paths.keys()


def test_dates_in_the_past_are_answered(client: TestClient) -> None:
    body = client.get("/v1/priorities/3", params={"as_of": date(2025, 2, 1).isoformat()}).json()
    assert body["id"] == 3 and body["status"] in {"on_track", "at_risk", "behind", "no_data"}


def test_reads_need_a_reader_token_unless_public() -> None:
    app = FastAPI()
    install_problem_handlers(app)
    view = LiveView(FRAMEWORK, Thresholds())
    view.ready.set()
    settings = AggregatorSettings(reader_token="r" * 32)
    log = FakeEventLog([])
    app.include_router(create_router(settings, view, log, KnownAt(log, view.receipts), fixed_clock(TODAY)))
    with TestClient(app) as client:
        assert client.get("/v1/priorities").status_code == 401
        reader = {"Authorization": "Bearer " + "r" * 32}
        assert client.get("/v1/priorities", headers=reader).status_code == 200


def test_every_status_says_why_with_its_numbers(client: TestClient) -> None:
    """320 of 1,000 returnees by 1 July 2026, when 546 of the 729 days to the target had
    passed: 32 % of the way done, 75 % due, a ratio of 0.43."""
    ap = client.get("/v1/action-points/3.1").json()
    [indicator] = ap["indicators"]
    assert indicator["why"] == "ratio 0.43 < 0.60: 32% of the way done, 75% due"
    assert ap["why"] == "its one indicator, “Returnees supported”, behind"
    priority = client.get("/v1/priorities/3").json()
    assert priority["status"] == "behind"
    assert (
        priority["why"]
        == "6 of 6 action points behind or without data (3.1, 3.2, 3.3, 3.4, 3.5, 3.6) ≥ one third"
    )
    assert priority["action_points"][0]["why"] == ap["why"]
    project = client.get(f"/v1/projects/{PID}").json()
    assert (project["status"], project["why"]) == (
        "behind",
        "last report 172 days ago > 1.5 × its 90-day cadence: silent",
    )


def test_an_indicator_drills_down_to_every_measurement_behind_its_figure(client: TestClient) -> None:
    detail = client.get("/v1/indicators/ind-3.1-returnees-supported", params={"as_of": "2026-07-01"}).json()
    assert (detail["actual"], detail["action_point"], detail["status"]) == (320, "3.1", "behind")
    assert detail["reports"] == {"current": 2, "counted": 2, "superseded": 1, "withdrawn": 1}
    listed = client.get(detail["measurements"]).json()["items"]
    assert [(m["event_id"], m["value"], m["state"], m["counted"], m["replaced_by"]) for m in listed] == [
        ("m1", 120, "current", True, None),
        ("m2-first", 150, "superseded", False, "m2"),
        ("m2", 200, "current", True, None),
        ("m3", 50, "withdrawn", False, "w3"),
    ]
    assert listed[3]["reason"] == "counted twice" and listed[0]["project_id"] == PID
    assert listed[0]["received_at"] == "2026-01-10T00:03:01Z"
    assert sum(m["value"] for m in listed if m["counted"]) == detail["actual"]
    # Before the second quarter ended, only the first counts.
    march = client.get(detail["measurements"].replace("2026-07-01", "2026-04-15")).json()["items"]
    assert [m["event_id"] for m in march if m["counted"]] == ["m1"]
    # Paged: one at a time, in the same order.
    first = client.get(detail["measurements"], params={"limit": 1}).json()
    second = client.get(detail["measurements"], params={"limit": 1, "cursor": first["next_cursor"]}).json()
    assert [first["items"][0]["event_id"], second["items"][0]["event_id"]] == ["m1", "m2-first"]
    assert client.get("/v1/indicators/ind-nope").status_code == 404
    assert client.get("/v1/indicators/ind-nope/measurements").status_code == 404


def test_figures_as_known_at_a_past_moment_stay_as_they_were() -> None:
    """By 00:03:30 the monitor had received the first quarter's 120 and the first version of
    the second's (150), not its correction (200, received at 00:04:01)."""
    documents = [*base_documents(), *CORRECTIONS]
    view, log, app = read_api(documents)
    early = {"as_of": "2026-07-01", "known_at": "2026-01-10T00:03:30Z"}

    def actual(client: TestClient, params: dict[str, str]) -> float:
        answer = client.get("/v1/action-points/3.1", params=params).json()
        return float(answer["indicators"][0]["actual"])

    with TestClient(app) as client:
        assert actual(client, early) == 270
        assert actual(client, {**early, "known_at": "2026-01-10T00:06:30Z"}) == 320
        assert actual(client, {"as_of": "2026-07-01"}) == 320
        assert (
            actual(client, {"as_of": "2026-07-01", "known_at": "2030-01-01T00:00:00Z"}) == 320
        )  # future: now
        model = client.get("/v1/priorities/3", params=early)
        assert model.status_code == 200
        listed = client.get("/v1/indicators/ind-3.1-returnees-supported/measurements", params=early).json()
        assert [(m["event_id"], m["state"]) for m in listed["items"]] == [
            ("m1", "current"),
            ("m2-first", "current"),
        ]
        bad = client.get("/v1/priorities", params={"known_at": "2026-01-10"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "query.known_at"

    # A correction received later changes today's figure, never the figure as known then.
    late = document(EventType.INDICATOR_MEASURED, measurement_data(PID, value=999), 10, "m1-late")
    late["stored_at"] = TODAY
    log.documents.append(late)
    view.apply_documents([late])
    fresh = FastAPI()
    install_problem_handlers(fresh)
    settings = AggregatorSettings(public_reads=True)
    fresh.include_router(create_router(settings, view, log, KnownAt(log, view.receipts), fixed_clock(TODAY)))
    with TestClient(fresh) as client:
        assert actual(client, early) == 270
        assert actual(client, {"as_of": "2026-07-01"}) == 999 + 200


def test_the_review_queue_and_the_approved_figures() -> None:
    approve_m1 = document(
        EventType.FIGURE_REVIEWED,
        {
            "project_id": PID,
            "indicator_id": "ind-3.1-returnees-supported",
            "period_start": "2026-01-01",
            "period_end": "2026-03-31",
            "event_id": "m1",
            "decision": "approved",
            "reviewer": "Secretariat",
        },
        8,
        "v1",
    )
    documents = [*base_documents(), *CORRECTIONS, approve_m1]
    _, _, app = read_api(documents)
    with TestClient(app) as client:
        assert client.get("/v1/reviews").status_code == 401  # the Secretariat's queue: not public
        client.headers["Authorization"] = f"Bearer {OPERATOR}"
        pending = client.get("/v1/reviews").json()["items"]
        assert [(r["kind"], r["event_id"]) for r in pending] == [
            ("activity", "a1"),
            ("activity", "a2"),
            ("measurement", "m2"),
        ]
        assert all(r["state"] == "pending" for r in pending)
        assert [
            r["event_id"] for r in client.get("/v1/reviews", params={"state": "approved"}).json()["items"]
        ] == ["m1"]
        only = client.get("/v1/reviews", params={"indicator": "ind-3.1-returnees-supported"}).json()["items"]
        assert [(r["event_id"], r["value"], r["action_points"]) for r in only] == [("m2", 200, ["3.1"])]
        assert client.get("/v1/reviews", params={"project": "NOPE-1"}).json()["items"] == []

        def figures(basis: str) -> tuple[float, int, str]:
            ap = client.get("/v1/action-points/3.1", params={"figures": basis}).json()
            return ap["indicators"][0]["actual"], ap["awaiting_review"], ap["status"]

        assert figures("reported") == (320, 3, "behind")  # a1, a2 and m2 count toward 3.1
        assert figures("approved") == (120, 3, "behind")
        assert client.get("/v1/priorities", params={"figures": "approved"}).status_code == 200
        listed = client.get("/v1/indicators/ind-3.1-returnees-supported/measurements").json()["items"]
        assert [(m["event_id"], m["review"]) for m in listed] == [
            ("m1", "approved"),
            ("m2-first", None),
            ("m2", "pending"),
            ("m3", None),
        ]
        bad = client.get("/v1/priorities", params={"figures": "everything"})
        assert bad.status_code == 400 and bad.json()["errors"][0]["field"] == "query.figures"


def test_the_meeting_pack_over_http(client: TestClient) -> None:
    params = {"as_of": "2026-07-01", "since": "2026-01-10T00:02:30Z"}
    xlsx = client.get("/v1/report.xlsx", params=params)
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxml")
    assert 'filename="cfa-meeting-pack-2026-07-01.xlsx"' in xlsx.headers["content-disposition"]
    book = load_workbook(io.BytesIO(xlsx.content))
    [indicator] = list(book["Indicators"].iter_rows(min_row=2, values_only=True))
    assert indicator[4] == client.get("/v1/action-points/3.1").json()["indicators"][0]["actual"] == 320
    assert {r[1] for r in book["Changes"].iter_rows(min_row=2, values_only=True)} >= {
        "ind-3.1-returnees-supported"
    }
    pdf = client.get("/v1/report.pdf", params=params)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    russian = client.get("/v1/report.pdf", headers={"Accept-Language": "ru-RU,ru;q=0.9"})
    assert russian.status_code == 200 and russian.headers["content-language"] == "ru"
    assert client.get("/v1/report.pdf", params={"lang": "de"}).status_code == 400
    late = client.get("/v1/report.pdf", params={"since": "2030-01-01T00:00:00Z"})
    assert late.status_code == 400 and late.json()["errors"][0]["field"] == "query.since"
