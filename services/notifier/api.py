"""The notifier's API: alerts, acknowledgements, silences, evaluate now.
Reads need a reader token (or public reads); writes need the operator token."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from services.notifier.evaluator import DryRun, Evaluation, Evaluator
from services.notifier.lifecycle import Alert, AlertState, Silence, SilenceState
from services.notifier.models import (
    MAX_SILENCE,
    Acknowledgement,
    AlertView,
    DeliveryFailure,
    NewSilence,
    SilenceView,
)
from services.notifier.notify import OutboxEntry
from services.notifier.rules import AlertKind
from services.notifier.store import NotifierStore
from shared.adapters.auth import Role, request_token, require, role_of
from shared.adapters.paging import MAX_LIMIT, Page, page
from shared.adapters.problems import Problem
from shared.clock import Clock
from shared.domain.review import Basis
from shared.isodate import IsoDate, IsoDateTime
from shared.settings import CommonSettings

EVALUATE_WAIT = 15.0


def newest_first(at: datetime) -> str:
    """A cursor key part that sorts later times first (cursor keys sort ascending)."""
    return f"{9e12 - at.timestamp():015.3f}"


def _view(alert: Alert, failures: list[DeliveryFailure]) -> AlertView:
    return AlertView(
        **alert.model_dump(exclude={"last_notice_at", "resolve_sent", "suppressed"}),
        delivery_failures=failures,
    )


def _failure(entry: OutboxEntry, operator: bool) -> DeliveryFailure:
    return DeliveryFailure(
        channel=entry.channel,
        receiver=entry.receiver,
        target=entry.target if operator else None,
        error=entry.last_error if operator else None,
        status="failed" if entry.status == "failed" else "retrying",
        attempts=entry.attempts,
        next_attempt_at=None if entry.status == "failed" else entry.next_attempt_at,
    )


def _silence_window(new: NewSilence, now: datetime) -> tuple[datetime, datetime]:
    """(starts_at, ends_at); a 400 naming the field when the end is not after the start or
    is more than MAX_SILENCE after it."""
    starts = new.starts_at or now
    field = "ends_at" if new.ends_at is not None else "duration"
    try:
        ends = new.ends_at or starts + timedelta(seconds=new.duration or 0)
    except OverflowError:  # a start near the year 9999
        raise _invalid(field, "ends after the last date there is") from None
    if ends <= starts:
        raise _invalid("ends_at", "must be after starts_at")
    if ends - starts > MAX_SILENCE:
        raise _invalid(field, f"a silence lasts at most {MAX_SILENCE.days} days")
    return starts, ends


def _invalid(field: str, message: str) -> Problem:
    return Problem(
        400, "Invalid request", f"{field}: {message}", [{"field": f"body.{field}", "message": message}]
    )


def _alert_routes(
    settings: CommonSettings, store: NotifierStore, clock: Clock, read: list[Any], write: list[Any]
) -> APIRouter:
    router = APIRouter()

    @router.get("/alerts", dependencies=read)
    async def alerts(
        request: Request,
        state: AlertState | None = None,
        kind: AlertKind | None = None,
        priority: Annotated[int | None, Query(ge=1, le=6)] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: str | None = None,
    ) -> Page[AlertView]:
        """Alerts, newest first; filter by state, kind and priority. Where a failed
        notification went and what its receiver answered: for the operator token only."""
        failed = await store.outbox(
            {"$or": [{"status": "failed"}, {"status": "pending", "last_error": {"$ne": None}}]}
        )
        chosen = [
            a
            for a in (await store.alerts()).values()
            if (state is None or a.state == state)
            and (kind is None or a.kind == kind)
            and (priority is None or priority in a.priorities)
        ]
        operator = role_of(request_token(request, Role.READER), settings) is Role.OPERATOR
        views = [
            _view(a, [_failure(e, operator) for e in failed if a.fingerprint in e.fingerprints])
            for a in chosen
        ]
        # newest first: the cursor key sorts ascending, so invert the time
        return page(views, lambda v: f"{newest_first(v.starts_at)}|{v.fingerprint}", limit, cursor)

    @router.post("/alerts/{fingerprint}/ack", dependencies=write)
    async def acknowledge(fingerprint: str, ack: Acknowledgement) -> AlertView:
        """Stop the repeats of a firing alert (its resolve is still notified)."""
        alert = await store.acknowledge(fingerprint, ack.by, ack.comment, clock())
        if alert is None:
            raise Problem(404, "Not Found", f"no firing alert {fingerprint!r}")
        return _view(alert, [])

    return router


def _silence_routes(store: NotifierStore, clock: Clock, read: list[Any], write: list[Any]) -> APIRouter:
    router = APIRouter()

    @router.get("/silences", dependencies=read)
    async def silences(
        state: SilenceState | None = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: str | None = None,
    ) -> Page[SilenceView]:
        """Silences, newest first, each with its state now (pending, active, expired)."""
        now = clock()
        views = [
            SilenceView(**s.model_dump(), state=s.state_at(now))
            for s in await store.silences()
            if state is None or s.state_at(now) == state
        ]
        return page(views, lambda v: f"{newest_first(v.created_at)}|{v.id}", limit, cursor)

    @router.post("/silences", status_code=201, dependencies=write)
    async def add_silence(new: NewSilence) -> Silence:
        """Matching alerts notify nobody until it ends; those still firing then are notified again."""
        now = clock()
        starts, ends = _silence_window(new, now)
        silence = Silence(
            id=uuid.uuid4().hex,
            matchers=new.matchers,
            starts_at=starts,
            ends_at=ends,
            author=new.author,
            comment=new.comment,
            created_at=now,
        )
        await store.add_silence(silence)
        return silence

    @router.delete("/silences/{silence_id}", dependencies=write)
    async def expire_silence(silence_id: str) -> Silence:
        """End a silence now (it stays listed, with its end)."""
        silence = await store.expire_silence(silence_id, clock())
        if silence is None:
            raise Problem(404, "Not Found", f"no silence {silence_id!r}")
        return silence

    return router


def _evaluate_routes(evaluator: Evaluator, clock: Clock, write: list[Any]) -> APIRouter:
    router = APIRouter()

    @router.post("/evaluate", dependencies=write)
    async def evaluate_now(
        as_of: Annotated[
            IsoDate | None,
            Query(
                description="Another date than today: a dry run answering what would fire then, "
                "with no alert changed and nothing sent"
            ),
        ] = None,
        known_at: Annotated[
            IsoDateTime | None,
            Query(
                description="A past moment: a dry run over the figures from the events received "
                "by then (RFC 3339)"
            ),
        ] = None,
        figures: Annotated[
            Basis | None,
            Query(description="Other figures than CFA_FIGURES (reported, approved): a dry run over them"),
        ] = None,
    ) -> Evaluation | DryRun:
        """Evaluate the rules as of today (the services' clock) and queue the notices that are
        due, on whichever replica holds the evaluation lease. With `as_of` another day, or
        `known_at` a past moment: a dry run (the live alerts only move forward with the
        services' clock and what has been received)."""
        now = clock()
        past = known_at is not None and known_at < now
        other_figures = figures is not None and figures is not evaluator.basis
        if (as_of is not None and as_of != now.date()) or past or other_figures:
            return await evaluator.dry_run(as_of or now.date(), known_at if past else None, figures)
        result = await evaluator.evaluate_anywhere(wait=EVALUATE_WAIT)
        if result is None:
            raise Problem(
                503,
                "Service Unavailable",
                f"no notifier replica evaluated within {EVALUATE_WAIT:.0f} s",
                headers={"Retry-After": "5"},
            )
        return result

    return router


def create_router(
    settings: CommonSettings, store: NotifierStore, evaluator: Evaluator, clock: Clock
) -> APIRouter:
    read = [Depends(require(Role.READER, settings))]
    write = [Depends(require(Role.OPERATOR, settings))]
    router = APIRouter(prefix="/v1", tags=["alerts"])
    router.include_router(_alert_routes(settings, store, clock, read, write))
    router.include_router(_silence_routes(store, clock, read, write))
    router.include_router(_evaluate_routes(evaluator, clock, write))
    return router
