"""The event log's one write per batch on the real MongoDB wire protocol: what was stored
before is told apart, by where intake read it, as a redelivery (said nothing of) or a re-send
(a duplicate)."""

from __future__ import annotations

from typing import Any

import pytest

from services.aggregator.store import MongoEventStore
from shared.adapters.mongo import EVENTS, connect
from shared.stack import StackEndpoints

pytestmark = pytest.mark.integration


def document(event_id: str, received: str | None, value: int = 1) -> dict[str, Any]:
    return {
        "_id": f"urn:test#{event_id}",
        "source": "urn:test",
        "id": event_id,
        "project_id": "P-1",
        "data": {"value": value},
        "received": received,
    }


async def test_a_redelivery_is_stored_once_and_a_resend_is_told(
    stack: StackEndpoints, isolation: dict[str, str]
) -> None:
    mongo = connect(stack.mongodb_url)
    try:
        db = mongo[isolation["mongodb_db"]]
        store = MongoEventStore(db, writer="w-1")
        first = await store.append([document("e-1", "raw/0/1"), document("e-2", "raw/0/2")])
        assert [d["id"] for d in first.stored] == ["e-1", "e-2"] and first.resent == []
        await db[EVENTS].insert_one(
            {**document("e-old", None), "_id": "urn:test#e-old"}
        )  # stored before the change
        again = await store.append(
            [
                document("e-1", "raw/0/1"),  # redelivered: the same raw position
                document("e-2", "raw/1/7", value=2),  # re-sent: another message, other data
                document("e-3", "raw/0/3"),  # new
                document("e-3", "raw/0/9"),  # re-sent within the same batch
                document("e-old", "raw/0/4"),  # stored from an older intake's record: where, unknown
                document("e-1", None),  # an older intake's record: taken as redelivered
            ]
        )
        assert [d["id"] for d in again.stored] == ["e-3"]  # e-old: taken as redelivered, stored once
        assert [(d["id"], d["received"]) for d in again.resent] == [
            ("e-2", "raw/1/7"),
            ("e-3", "raw/0/9"),
        ]
        kept = await db[EVENTS].find_one({"_id": "urn:test#e-2"})
        assert (
            kept is not None and kept["data"] == {"value": 1} and kept["received"] == "raw/0/2"
        )  # the first stays
        assert await db[EVENTS].count_documents({}) == 4
    finally:
        await mongo.drop_database(isolation["mongodb_db"])
        await mongo.close()
