"""Intake over HTTP: post events, dry-run them, and read one's own rejections."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse

from services.intake.callers import Callers
from services.intake.feedback import ReviewFeedback
from services.intake.receipts import EVENT_BODY, REFUSALS, Receipt, batch_body, receipt, refusal
from services.intake.settings import IntakeSettings
from services.intake.submission import Submissions, Verdict
from shared.adapters.auth import forbidden
from shared.adapters.dlq import Refused
from shared.adapters.paging import MAX_LIMIT, Page, page
from shared.adapters.problems import Problem
from shared.adapters.rejections import MongoRejectionStore, RejectionView
from shared.domain.review import FigureReview, ReviewState, review_order
from shared.events.codec import KafkaRecord
from shared.events.http import batch_records, event_record, is_batch
from shared.events.rejections import Rejected, Rejection, RejectionReason
from shared.trust import Principal


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it passes `limit` (declared or not)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> Problem:
    return Problem(413, "Content Too Large", f"the body is over the {limit}-byte limit")


class HttpIntake:
    """Turns a request into records, judges them, and delivers unless it is a dry run."""

    def __init__(self, settings: IntakeSettings, submissions: Submissions, callers: Callers) -> None:
        self._settings = settings
        self.max_batch_events = settings.max_batch_events
        self._submissions = submissions
        self._callers = callers

    async def judge(self, request: Request, caller: Principal, batch: bool | None) -> tuple[Verdict, bool]:
        """`batch` None: whatever the content type says (the dry run takes both). The caller's
        credential vouches for the events, and pays for each of them in its rate."""
        self._callers.admit(caller)
        headers = dict(request.headers)
        batch = is_batch(headers) if batch is None else batch
        limit = self._settings.max_batch_bytes if batch else self._settings.max_event_bytes
        body = await read_body(request, limit)
        request_id = uuid.uuid4().hex
        try:
            # No message key yet: the SDK would read it as the partitionkey; an accepted event
            # goes out keyed by its project (Submissions.deliver).
            records = self._split(request_id, None, headers, body, batch)
        except Rejected as rejected:  # not even one event to read: the whole body is refused
            self._callers.charge(caller, 1)
            whole = KafkaRecord(f"http/{request_id}", 0, 0, None, body, ())
            return Verdict([Refused(whole, rejected.rejection, caller.project_id)]), batch
        self._callers.charge(caller, len(records))
        return await self._submissions.judge(records, caller), batch

    def _split(
        self, request_id: str, key: bytes | None, headers: dict[str, str], body: bytes, batch: bool
    ) -> list[KafkaRecord]:
        if batch:
            if not is_batch(headers):
                raise Rejected(
                    Rejection.of(
                        RejectionReason.SCHEMA,
                        "content-type",
                        "a batch must be application/cloudevents-batch+json",
                    )
                )
            return batch_records(request_id, key, body, self._settings.max_batch_events)
        if is_batch(headers):
            raise Rejected(
                Rejection.of(RejectionReason.SCHEMA, "content-type", "a batch goes to POST /v1/events:batch")
            )
        return [event_record(request_id, key, headers, body)]

    async def submit(self, request: Request, caller: Principal, batch: bool) -> JSONResponse:
        verdict, batch = await self.judge(request, caller, batch)
        await self._submissions.deliver(verdict, caller)
        if verdict.refused:
            raise refusal(verdict, batch)
        return JSONResponse(receipt(verdict, published=True).model_dump(), status_code=202)


def create_router(
    intake: HttpIntake, callers: Callers, rejections: MongoRejectionStore, feedback: ReviewFeedback
) -> APIRouter:
    router = APIRouter(prefix="/v1", tags=["events"])
    # Dependencies as defaults: the annotations are strings (PEP 563) and these are local.
    # Projects report for themselves; the operator token sends the Secretariat's events.
    any_caller = Depends(callers.project_or_operator)

    @router.post(
        "/events", status_code=202, response_model=Receipt, responses=REFUSALS, openapi_extra=EVENT_BODY
    )
    async def post_event(request: Request, caller: Principal = any_caller) -> JSONResponse:
        """One CloudEvent (binary or structured). 202 once it is durably on bp.events.raw."""
        return await intake.submit(request, caller, batch=False)

    @router.post(
        "/events:batch",
        status_code=202,
        response_model=Receipt,
        responses=REFUSALS,
        openapi_extra=batch_body(intake.max_batch_events),
    )
    async def post_batch(request: Request, caller: Principal = any_caller) -> JSONResponse:
        """A batch of CloudEvents, all or nothing: one refused event and none is published."""
        return await intake.submit(request, caller, batch=True)

    @router.post("/events:validate", response_model=Receipt, responses=REFUSALS, openapi_extra=EVENT_BODY)
    async def validate(request: Request, caller: Principal = any_caller) -> Receipt:
        """Every check, nothing published: the answer POST would give (200 instead of 202)."""
        verdict, batch = await intake.judge(request, caller, batch=None)
        if verdict.refused:
            raise refusal(verdict, batch)
        return receipt(verdict, published=False)

    @router.get("/rejections", responses={401: REFUSALS[401], 403: REFUSALS[403]})
    async def list_rejections(
        project_id: Annotated[
            str | None, Query(description="Whose rejections (operator token only; a project sees its own)")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
        caller: Principal = any_caller,
    ) -> Page[RejectionView]:
        """The caller's refused events, newest first: reason, fields and time (never the body)."""
        callers.charge(caller, 1)
        return await rejections.page(_whose(project_id, caller, "rejections"), limit, cursor)

    @router.get("/reviews", responses={401: REFUSALS[401], 403: REFUSALS[403]})
    async def list_reviews(
        project_id: Annotated[
            str | None, Query(description="Whose figures (operator token only; a project sees its own)")
        ] = None,
        state: Annotated[
            ReviewState | None,
            Query(description="Default: returned, the figures the Secretariat sent back with a comment"),
        ] = ReviewState.RETURNED,
        limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
        cursor: Annotated[str | None, Query(description="next_cursor of the previous page")] = None,
        caller: Principal = any_caller,
    ) -> Page[FigureReview]:
        """The Secretariat's review of the caller's reported figures, each at its current
        version: by default those returned, with the comment saying what to correct (a
        correction is a new version: it waits for review again)."""
        callers.charge(caller, 1)
        whose = _whose(project_id, caller, "reviews")
        reviewed, events_read = await feedback.of_project(whose)
        callers.charge(caller, events_read // 100)  # a hundred events read cost one sent
        chosen = [r for r in reviewed if state is None or r.state is state]
        return page(chosen, review_order, limit, cursor)

    return router


def _whose(project_id: str | None, caller: Principal, what: str) -> str:
    """The project a feedback read is about: the caller's own, or the one the operator names."""
    whose = project_id or caller.project_id
    if whose is None:
        raise Problem(
            400,
            "Invalid request",
            "project_id: the operator must name the project",
            [{"field": "query.project_id", "message": "required with the operator token"}],
        )
    if caller.project_id is not None and whose != caller.project_id:
        raise forbidden(f"this token sees the {what} of {caller.project_id} only")
    return whose
