"""What intake's HTTP API answers: a receipt of accepted events, or a refusal naming every field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.intake.submission import Verdict
from shared.events.http import BATCH, STRUCTURED
from shared.events.rejections import RejectionReason
from shared.problems import Problem


class EventReceipt(BaseModel):
    id: str
    source: str
    type: str


class Receipt(BaseModel):
    """What was accepted: on bp.events.raw (`published`), or would be (a dry run)."""

    accepted: int
    published: bool
    events: list[EventReceipt]


def receipt(verdict: Verdict, published: bool) -> Receipt:
    events = [
        EventReceipt(id=a.event.envelope.id, source=a.event.envelope.source, type=str(a.event.type))
        for a in verdict.accepted
    ]
    return Receipt(accepted=len(events), published=published, events=events)


def refusal(verdict: Verdict, batch: bool) -> Problem:
    """409 when every event was accepted before, else 400; each error names its field and
    reason (and, in a batch, the event's index)."""
    errors: list[dict[str, Any]] = []
    for index, refused in verdict.refused:
        for error in refused.rejection.errors:
            item: dict[str, Any] = {
                "field": error.field,
                "message": error.message,
                "reason": str(refused.rejection.reason),
            }
            if refused.event_id:
                item["event_id"] = refused.event_id
            if batch:
                item["index"] = index
            errors.append(item)
    reasons = sorted({e["reason"] for e in errors})
    detail = "; ".join(
        (f"event {e['index']}: " if batch else "") + f"{e['field']}: {e['message']} ({e['reason']})"
        for e in errors
    )
    if batch:
        detail = f"{len(verdict.refused)} of {len(verdict.outcomes)} events refused, none published: {detail}"
    duplicate = verdict.all_accepted_before
    status, title = (409, "Already accepted") if duplicate else (400, "Event refused")
    if str(RejectionReason.NOT_PERMITTED) in reasons:
        status, title = 403, "Not permitted"
    return Problem(
        status,
        title,
        detail,
        errors,
        reason=reasons[0] if len(reasons) == 1 else reasons,
    )


EVENT_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One CloudEvent: binary mode (ce- headers, JSON data) or structured mode.",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            STRUCTURED: {"schema": {"type": "object"}},
        },
    }
}
BATCH_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "A JSON array of structured CloudEvents.",
        "content": {BATCH: {"schema": {"type": "array", "items": {"type": "object"}}}},
    }
}
REFUSALS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Refused: every field error of every event, each with its reason"},
    401: {"description": "No or unknown bearer token"},
    403: {
        "description": "Not permitted (reason not_permitted): an event of another project, or a "
        "Secretariat event (project.registered) sent with a project's token; it goes to the DLQ too"
    },
    409: {"description": "Accepted before (same source and id): nothing more to do"},
    413: {"description": "Body too large"},
    429: {"description": "Too many requests for this token; see Retry-After"},
    503: {
        "description": "Kafka or MongoDB did not answer in time; retry unchanged after "
        "Retry-After (409 duplicate if it got through after all)"
    },
}
