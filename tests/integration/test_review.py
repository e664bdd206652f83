"""The Secretariat's review on the real servers: a figure a project reports counts under
`reported` at once and under `approved` once the Secretariat approves it (over HTTP with the
operator token, or with `cfamon review approve`); a project cannot review; a returned figure
comes back to its project with the comment; a correction waits for review again; and the
figures as known at a past moment stay as they were."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.settings import IntakeSettings
from shared.events.models import EventType
from shared.stack import StackEndpoints
from tests.cli import cfamon
from tests.conftest import service_settings
from tests.factories import measurement_data
from tests.integration.helpers import eventually, running
from tests.integration.intake_world import OPERATOR, OTHER_TOKEN, Intake, as_binary, start_intake
from tests.kafka_helpers import sdk_event

pytestmark = pytest.mark.integration
IND = "ind-1.2-officers-trained"
PERIOD = {"period_start": "2026-01-01", "period_end": "2026-03-31"}


@contextlib.asynccontextmanager
async def both(
    stack: StackEndpoints, isolation: dict[str, str]
) -> AsyncIterator[tuple[Intake, httpx.AsyncClient]]:
    intake_settings = service_settings(IntakeSettings, stack, isolation, operator_token=OPERATOR)
    settings = service_settings(
        AggregatorSettings, stack, isolation, public_reads=True, operator_token=OPERATOR
    )
    aggregator = create_aggregator(settings)
    with contextlib.contextmanager(start_intake)(intake_settings) as intake:
        async with running(aggregator):
            transport = httpx.ASGITransport(app=aggregator)
            operator = {"Authorization": f"Bearer {OPERATOR}"}  # the review queue is the Secretariat's
            async with httpx.AsyncClient(
                transport=transport, base_url="http://aggregator", headers=operator
            ) as api:
                yield intake, api


def measured(pid: str, value: float) -> dict[str, Any]:
    return measurement_data(pid, indicator_id=IND, value=value, **PERIOD)


def review(pid: str, of: str, decision: str, comment: str | None = None) -> dict[str, Any]:
    data = {"project_id": pid, "indicator_id": IND, **PERIOD, "event_id": of, "decision": decision}
    return {**data, "reviewer": "Secretariat", **({"comment": comment} if comment else {})}


async def test_review_approve_return_correct_and_know_when(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    async with both(stack, isolation) as (intake, api):
        pid = intake.pid

        async def officers(figures: str, **params: str) -> Any:
            answer = await api.get("/v1/action-points/1.2", params={"figures": figures, **params})
            assert answer.status_code == 200, answer.text
            indicator = next(i for i in answer.json()["indicators"] if i["id"] == IND)
            return indicator["actual"], answer.json()["awaiting_review"]

        async def send(
            client: httpx.AsyncClient, event_type: EventType, data: dict[str, Any], event_id: str
        ) -> httpx.Response:
            return await client.post(
                "/v1/events", **as_binary(sdk_event(event_type, data, event_id, sign=False))
            )

        # Reported: counted at once under `reported`, not under `approved`.
        async with intake.client() as project, intake.client(OPERATOR) as secretariat:
            sent = await send(project, EventType.INDICATOR_MEASURED, measured(pid, 50), "m-1")
            assert sent.status_code == 202, sent.text

            async def reported() -> bool:
                return (await officers("reported"))[0] == 50

            await eventually(reported, what="the measurement under figures=reported")
            assert await officers("approved") == (None, 1)

            # A project cannot review, not even its own figure.
            own = await send(project, EventType.FIGURE_REVIEWED, review(pid, "m-1", "approved"), "v-0")
            assert own.status_code == 403 and "Secretariat" in own.json()["detail"], own.text

            # The Secretariat approves it over HTTP with the operator token.
            approved = await send(
                secretariat, EventType.FIGURE_REVIEWED, review(pid, "m-1", "approved"), "v-1"
            )
            assert approved.status_code == 202, approved.text

            async def counted_as_approved() -> bool:
                return await officers("approved") == (50, 0)

            await eventually(counted_as_approved, what="the approved measurement under figures=approved")
            queue = (await api.get("/v1/reviews", params={"state": "approved", "project": pid})).json()[
                "items"
            ]
            assert [(r["event_id"], r["reviewer"]) for r in queue] == [("m-1", "Secretariat")]
            await asyncio.sleep(0.01)
            seen_at_the_meeting = datetime.now(UTC)
            await asyncio.sleep(0.01)

            # A correction waits for review again: gone from `approved`, pending in the queue.
            corrected = await send(project, EventType.INDICATOR_MEASURED, measured(pid, 80), "m-2")
            assert corrected.status_code == 202, corrected.text

            async def correction_pending() -> bool:
                return await officers("reported") == (80, 1) and await officers("approved") == (None, 1)

            await eventually(correction_pending, what="the correction, pending again")
            pending = (await api.get("/v1/reviews", params={"project": pid})).json()["items"]
            assert [(r["event_id"], r["state"], r["decision_on"]) for r in pending] == [
                ("m-2", "pending", "m-1")
            ]
            # What the meeting saw stays as it was.
            assert (await officers("approved", known_at=seen_at_the_meeting.isoformat()))[0] == 50

            # Returned with a comment: the project reads it back; another project cannot.
            returned = await send(
                secretariat,
                EventType.FIGURE_REVIEWED,
                review(pid, "m-2", "returned", "Count officers once"),
                "v-2",
            )
            assert returned.status_code == 202, returned.text

            async def fed_back() -> list[Any]:
                return (await project.get("/v1/reviews")).json()["items"]

            await eventually(
                lambda: _nonempty(fed_back()), what="the returned figure in the project's feedback"
            )
            [back] = await fed_back()
            assert (back["event_id"], back["state"], back["comment"], back["value"]) == (
                "m-2",
                "returned",
                "Count officers once",
                80,
            )
        async with intake.client(OTHER_TOKEN) as other:
            foreign = await other.get("/v1/reviews", params={"project_id": pid})
            assert foreign.status_code == 403

        # The Secretariat's command line: approve the current version (m-2), signed with its key.
        env = {
            "CFA_MONGODB_URL": intake.settings.mongodb_url,
            "CFA_MONGODB_DB": intake.settings.mongodb_db,
            "CFA_KAFKA_BOOTSTRAP_SERVERS": intake.settings.kafka_bootstrap_servers,
            "CFA_TOPIC_PREFIX": isolation["topic_prefix"],
        }
        figure = ("--project", pid, "--indicator", IND, *("--period-start", PERIOD["period_start"]))
        approve = (
            "review",
            "approve",
            *figure,
            "--period-end",
            PERIOD["period_end"],
            "--reviewer",
            "M. Horváth",
        )
        stale = cfamon(*approve, "--version", "m-1", env=env)
        assert stale.returncode == 1 and "not the figure's current version (m-2)" in stale.stderr, (
            stale.stderr
        )
        done = cfamon(*approve, env=env)
        assert done.returncode == 0, done.stderr

        async def approved_by_the_command() -> bool:
            return await officers("approved") == (80, 0)

        await eventually(approved_by_the_command, what="the figure approved by cfamon review approve")
        listed = cfamon("review", "list", "--state", "approved", "--project", pid, env=env)
        assert listed.returncode == 0 and "m-2" in listed.stdout, listed.stderr

        # The meeting pack from the command line: the same figure, a number in its sheet.
        for format_ in ("xlsx", "pdf"):
            made = cfamon("report", "--format", format_, "--out", str(tmp_path / f"pack.{format_}"), env=env)
            assert made.returncode == 0, made.stderr
        book = load_workbook(tmp_path / "pack.xlsx")
        [row] = [r for r in book["Indicators"].iter_rows(min_row=2, values_only=True) if r[1] == IND]
        assert row[4] == 80
        text = " ".join(" ".join(p.extract_text() for p in PdfReader(tmp_path / "pack.pdf").pages).split())
        assert "Front-line officers trained: actual 80" in text


async def _nonempty(items: Any) -> bool:
    return bool(await items)
