"""Sending simulated reports as a project system would: Kafka binary mode signed with the
project's key, or intake's HTTP API with the project's token (honouring 429 and 503
Retry-After)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence

import httpx
from cloudevents.core.bindings import http as ce_http
from cloudevents.core.formats.json import JSONFormat
from faststream.kafka import KafkaBroker

from services.simulator.timeline import SimEvent
from shared.domain.projects import Credentials
from shared.events.produce import cloud_event, publish_event, signed

HTTP_ATTEMPTS = 8
HTTP_CONCURRENCY = 8


class Sender:
    def __init__(
        self,
        broker: KafkaBroker,
        raw_topic: str,
        http: httpx.AsyncClient | None,
        credentials: dict[str, Credentials],
    ) -> None:
        self._broker = broker
        self._raw = raw_topic
        self._http = http
        self._credentials = credentials
        self._slots = asyncio.Semaphore(HTTP_CONCURRENCY)

    async def send(self, events: Sequence[SimEvent]) -> Counter[str]:
        """Send and wait for each answer; counts by how each went."""
        outcomes = await asyncio.gather(*(self._one(e) for e in events))
        return Counter(outcomes)

    async def _one(self, sim: SimEvent) -> str:
        event = cloud_event(sim.event_type, sim.data, sim.at, sim.event_id)
        if self._http is not None and sim.project.over_http:
            return await self._post(sim, ce_http.to_binary(event, JSONFormat()))
        key = self._credentials[sim.project.project_id].signing_key
        await publish_event(self._broker, self._raw, signed(event, key.sign))
        return "sent over Kafka"

    async def _post(self, sim: SimEvent, message: ce_http.HTTPMessage) -> str:
        assert self._http is not None
        token = self._credentials[sim.project.project_id].token
        headers = {**message.headers, "Authorization": f"Bearer {token}"}
        async with self._slots:
            for _ in range(HTTP_ATTEMPTS):
                response = await self._http.post("/v1/events", headers=headers, content=message.body)
                if response.status_code not in (429, 503):
                    break
                await asyncio.sleep(float(response.headers.get("retry-after", "1")))
        if response.status_code == 202:
            return "accepted over HTTP"
        reason = response.json().get("reason", response.status_code)
        return f"refused over HTTP: {reason}"
