"""What intake's HTTP API answers: a receipt of accepted events, or a refusal naming every field."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from services.intake.submission import Verdict
from shared.adapters.problems import Problem
from shared.events.envelope import SOURCE_PATTERN
from shared.events.http import BATCH, STRUCTURED
from shared.events.models import EventType
from shared.events.rejections import RejectionReason
from shared.events.signing import SIGNATURE_ATTRIBUTE


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


# The bodies and headers of POST /v1/events and /v1/events:batch in the OpenAPI document. A
# body that fits them may still be refused (400): an event is also checked against the
# registry, the results framework, its project's signature and the calendar.
DATA = {
    "type": "object",
    "description": "The event's data: the fields of its type (shared/events/models.py, and the "
    "AsyncAPI document at /asyncapi.json); unknown fields are refused",
}
STRUCTURED_EVENT = {
    "type": "object",
    "required": ["specversion", "id", "source", "type", "time", "data"],
    "properties": {
        "specversion": {"type": "string", "enum": ["1.0"]},
        "id": {"type": "string", "minLength": 1, "maxLength": 256},
        "source": {
            "type": "string",
            "pattern": SOURCE_PATTERN.pattern,
            "description": "/projects/<project_id>",
        },
        "type": {"type": "string", "enum": [str(t) for t in EventType]},
        "time": {"type": "string", "format": "date-time"},
        "subject": {"type": "string", "maxLength": 256},
        "datacontenttype": {"type": "string", "enum": ["application/json"]},
        SIGNATURE_ATTRIBUTE: {
            "type": "string",
            "description": "<signing key id>.<Ed25519 signature, base64url>: optional over HTTP (the "
            "token vouches), required over Kafka",
        },
        "data": DATA,
    },
}
BINARY_HEADERS: list[dict[str, Any]] = [
    {
        "name": f"ce-{name}",
        "in": "header",
        "required": False,
        "description": f"Binary mode: the event's {name}{' (required in binary mode)' if required else ''}",
        "schema": schema,
    }
    for name, required, schema in (
        ("specversion", True, {"type": "string", "enum": ["1.0"]}),
        ("id", True, {"type": "string", "minLength": 1, "maxLength": 256}),
        ("source", True, {"type": "string", "pattern": SOURCE_PATTERN.pattern}),
        ("type", True, {"type": "string", "enum": [str(t) for t in EventType]}),
        ("time", True, {"type": "string", "format": "date-time"}),
        ("subject", False, {"type": "string", "maxLength": 256}),
        (SIGNATURE_ATTRIBUTE, False, {"type": "string"}),
    )
]
EVENT_BODY: dict[str, Any] = {
    "parameters": BINARY_HEADERS,
    "requestBody": {
        "required": True,
        "description": "One CloudEvent: binary mode (application/json: the data, attributes in the "
        "ce- headers) or structured mode (application/cloudevents+json: the whole event).",
        "content": {"application/json": {"schema": DATA}, STRUCTURED: {"schema": STRUCTURED_EVENT}},
    },
}


def batch_body(max_events: int) -> dict[str, Any]:
    events = {"type": "array", "minItems": 1, "maxItems": max_events, "items": STRUCTURED_EVENT}
    return {
        "requestBody": {
            "required": True,
            "description": f"A JSON array of 1 to {max_events} structured CloudEvents.",
            "content": {BATCH: {"schema": events}},
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
