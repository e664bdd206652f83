"""What a project may see of its refused events: reason, fields and time, never the body.

The DLQ keeps the original bytes; this collection keeps a small record of each refusal so
`GET /v1/rejections` can page a project's own, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal, Protocol

from pydantic import BaseModel
from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from shared.adapters.dlq import Refused
from shared.adapters.mongo import REJECTIONS, only_duplicate_keys
from shared.adapters.paging import Page, decode_cursor, encode_cursor

Channel = Literal["kafka", "http"]


class FieldProblem(BaseModel):
    field: str
    message: str


class RejectionView(BaseModel):
    """One refused event as its project sees it."""

    event_id: str | None
    event_type: str | None
    reason: str
    field: str
    errors: list[FieldProblem]
    rejected_at: datetime
    received_over: Channel


def rejection_document(refused: Refused, at: datetime, channel: Channel) -> dict[str, Any]:
    # _id = the message's position: a redelivered Kafka message is recorded once.
    position = refused.record.position
    return {
        "_id": position,
        "order": f"{at.isoformat()}|{position}",
        "project_id": refused.project_id,
        "event_id": refused.event_id,
        "event_type": refused.claims.type,
        "reason": str(refused.rejection.reason),
        "field": ",".join(refused.rejection.fields),
        "errors": [{"field": e.field, "message": e.message} for e in refused.rejection.errors],
        "rejected_at": at,
        "received_over": channel,
    }


class RejectionRecorder(Protocol):
    async def record(self, refused: Sequence[Refused], at: datetime, channel: Channel) -> None: ...

    async def already_recorded(self, refused: Sequence[Refused]) -> set[str]:
        """The positions among `refused` recorded before: a redelivered message whose DLQ
        copy is already there."""
        ...


class MongoRejectionStore:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._rejections = db[REJECTIONS]

    async def prepare(self) -> None:
        await self._rejections.create_index([("project_id", 1), ("order", DESCENDING)])

    async def record(self, refused: Sequence[Refused], at: datetime, channel: Channel) -> None:
        if not refused:
            return
        docs = [rejection_document(r, at, channel) for r in refused]
        try:
            await self._rejections.insert_many(docs, ordered=False)
        except BulkWriteError as error:
            if not only_duplicate_keys(error.details):
                raise

    async def already_recorded(self, refused: Sequence[Refused]) -> set[str]:
        if not refused:
            return set()
        positions = [r.record.position for r in refused]
        return {doc["_id"] async for doc in self._rejections.find({"_id": {"$in": positions}}, {"_id": 1})}

    async def page(self, project_id: str, limit: int, cursor: str | None) -> Page[RejectionView]:
        query: dict[str, Any] = {"project_id": project_id}
        if cursor is not None:
            query["order"] = {"$lt": decode_cursor(cursor)}
        found = await self._rejections.find(query).sort("order", DESCENDING).limit(limit + 1).to_list(None)
        items = [RejectionView.model_validate(doc) for doc in found[:limit]]
        more = len(found) > limit
        return Page[RejectionView](
            items=items, next_cursor=encode_cursor(found[limit - 1]["order"]) if more else None
        )
