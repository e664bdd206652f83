"""The notifier's alerts firing now, as the aggregator's pages and meeting pack show them
(read from the notifier's collection in the same database)."""

from __future__ import annotations

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import ALERTS


async def firing_alerts(db: AsyncDatabase[dict[str, Any]]) -> list[dict[str, Any]]:
    """The notifier's firing alerts, critical first, then newest; each with the dashboard
    anchor of what it is about (`where`)."""
    found = db[ALERTS].find(
        {"state": "firing"},
        {"summary": 1, "phrases": 1, "severity": 1, "kind": 1, "subject": 1, "starts_at": 1},
    )
    alerts = [{**doc, "where": anchor_of(doc["subject"])} async for doc in found]
    return sorted(alerts, key=lambda a: (a["severity"] != "critical", -a["starts_at"].timestamp()))


def anchor_of(subject: str) -> str:
    """Where on the dashboard an alert's subject is: action_point:3.1 -> ap-3.1, and so on."""
    kind, _, key = subject.partition(":")
    if kind == "action_point":
        return f"ap-{key}"
    if kind == "priority":
        return f"priority-{key}"
    return f"project-{key.partition('/')[0]}"  # a project, or a milestone of one
