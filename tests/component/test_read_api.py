"""The read API over a live view fed by hand: fields, paging, as_of, problem details."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.aggregator.api import create_router
from services.aggregator.settings import AggregatorSettings
from shared.adapters.problems import install_problem_handlers
from shared.clock import fixed_clock
from shared.domain.liveview import LiveView
from shared.domain.status import Thresholds
from tests.readmodel_facts import FRAMEWORK, PID, base_facts

TODAY = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def client() -> Iterator[TestClient]:
    view = LiveView(FRAMEWORK, Thresholds())
    for fact in base_facts():
        view.facts.apply(fact)
    view.ready.set()
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(create_router(AggregatorSettings(public_reads=True), view, fixed_clock(TODAY)))
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
    app.include_router(create_router(AggregatorSettings(reader_token="r" * 32), view, fixed_clock(TODAY)))
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
