"""Prometheus metrics of one service: a registry of its own (several services share a process
in tests and in `cfamon run`), FastStream's Kafka middleware on it, the service's `cfa_`
series, and gauges read at scrape time (consumer lag, DLQ size, statuses, alerts)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from shared.adapters.kafka_batches import UnreadableLog
from shared.logging import get_logger

log = get_logger("cfa.metrics")
SCRAPE_TIMEOUT = 5.0
Refresh = Callable[[], Awaitable[None]]


class KafkaOffsets:
    """End offsets of topics and committed offsets of consumer groups, read on demand."""

    def __init__(self, bootstrap: str, options: dict[str, Any] | None = None) -> None:
        self._bootstrap = bootstrap
        self._options = options or {}
        self._consumer: AIOKafkaConsumer | None = None
        self._admin: AIOKafkaAdminClient | None = None
        self._reading = asyncio.Lock()  # one assignment of the consumer at a time
        self._connecting = asyncio.Lock()  # overlapping scrapes share one pair of clients

    async def _clients(self) -> tuple[AIOKafkaConsumer, AIOKafkaAdminClient]:
        async with self._connecting:
            if self._consumer is None or self._admin is None:
                consumer = AIOKafkaConsumer(
                    bootstrap_servers=self._bootstrap, enable_auto_commit=False, **self._options
                )
                admin = AIOKafkaAdminClient(
                    bootstrap_servers=self._bootstrap, request_timeout_ms=5000, **self._options
                )
                try:
                    await consumer.start()
                    await admin.start()
                except BaseException:
                    await consumer.stop()
                    await admin.close()
                    raise
                self._consumer, self._admin = consumer, admin
            return self._consumer, self._admin

    async def _partitions(self, topic: str) -> list[TopicPartition]:
        consumer, _ = await self._clients()
        numbers = consumer.partitions_for_topic(topic)
        if not numbers:
            await consumer._client.force_metadata_update()
            numbers = consumer.partitions_for_topic(topic) or set()
        return [TopicPartition(topic, n) for n in sorted(numbers)]

    async def _bounds(
        self, partitions: list[TopicPartition]
    ) -> tuple[dict[TopicPartition, int], dict[TopicPartition, int]]:
        """(beginning, end) offsets. The end is checked by reading the last batch: Tansu's
        in-memory storage answers the last batch's base offset + 1 as the end, short by the
        batch's other records (measured: 5 records in batches of 3 and 2 gave 4)."""
        consumer, _ = await self._clients()
        async with self._reading:
            starts = await consumer.beginning_offsets(partitions)
            ends = dict(await consumer.end_offsets(partitions))
            tails = [p for p in partitions if ends[p] > starts[p]]
            if tails:
                consumer.assign(tails)
                for p in tails:
                    consumer.seek(p, ends[p] - 1)
                batches = await consumer.getmany(*tails, timeout_ms=1000)
                for p, records in batches.items():
                    if records:
                        ends[p] = max(ends[p], records[-1].offset + 1)
                consumer.unsubscribe()
        return starts, ends

    async def messages(self, topic: str) -> int:
        """How many messages `topic` holds (end minus beginning, over its partitions)."""
        partitions = await self._partitions(topic)
        if not partitions:
            return 0
        starts, ends = await self._bounds(partitions)
        return sum(ends[p] - starts[p] for p in partitions)

    async def lag(self, group: str, topic: str) -> int:
        """Messages of `topic` that `group` has not committed yet."""
        _, admin = await self._clients()
        partitions = await self._partitions(topic)
        if not partitions:
            return 0
        committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
        starts, ends = await self._bounds(partitions)
        lag = 0
        for p in partitions:
            done = committed.get(p)
            position = done.offset if done is not None and done.offset >= 0 else starts[p]
            lag += max(ends[p] - position, 0)
        return lag

    async def close(self) -> None:
        consumer, admin, self._consumer, self._admin = self._consumer, self._admin, None, None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()


class ServiceMetrics:
    def __init__(
        self, service: str, kafka_bootstrap: str, kafka_options: dict[str, Any] | None = None
    ) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.offsets = KafkaOffsets(kafka_bootstrap, kafka_options)
        self._refreshers: list[tuple[str, Refresh]] = []
        self._lag: Gauge | None = None
        self._scrape_errors = self.counter(
            "cfa_metrics_scrape_errors_total", "Scrape-time readings that failed", ["reading"]
        )
        self.unreadable = UnreadableLog(
            self.counter(
                "cfa_unreadable_batches_total",
                "Record batches this service could not read (a codec it lacks, bytes that are not "
                "what the batch says, a CRC mismatch): dead-lettered, the partition moved on",
                ["topic", "codec"],
            )
        )

    def counter(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Counter:
        return Counter(name, documentation, labels, registry=self.registry)

    def gauge(self, name: str, documentation: str, labels: Sequence[str] = ()) -> Gauge:
        return Gauge(name, documentation, labels, registry=self.registry)

    def histogram(
        self, name: str, documentation: str, buckets: Sequence[float], labels: Sequence[str] = ()
    ) -> Histogram:
        return Histogram(name, documentation, labels, buckets=buckets, registry=self.registry)

    def kafka_middleware(self) -> KafkaPrometheusMiddleware:
        """FastStream's message metrics (received, processed, published, durations)."""
        return KafkaPrometheusMiddleware(registry=self.registry, app_name=self.service)

    def on_scrape(self, reading: str, refresh: Refresh) -> None:
        """Run `refresh` (which sets gauges) before each exposition."""
        self._refreshers.append((reading, refresh))
        self._scrape_errors.labels(reading=reading)  # shown at 0 from the start

    def consumer_lag(self, group: str, topic: str) -> None:
        """cfa_consumer_lag{group, topic}, read at scrape time."""
        if self._lag is None:
            self._lag = self.gauge(
                "cfa_consumer_lag", "Messages not yet committed by a consumer group", ["group", "topic"]
            )
        lag = self._lag.labels(group=group, topic=topic)

        async def refresh() -> None:
            lag.set(await self.offsets.lag(group, topic))

        self.on_scrape(f"lag {topic}", refresh)

    def topic_size(self, name: str, documentation: str, topic: str) -> None:
        """A gauge of how many messages `topic` holds, read at scrape time."""
        size = self.gauge(name, documentation)

        async def refresh() -> None:
            size.set(await self.offsets.messages(topic))

        self.on_scrape(f"size {topic}", refresh)

    async def exposition(self) -> bytes:
        """The text format; a reading that fails (Kafka down) is counted, the rest still shown."""

        async def guarded(reading: str, refresh: Refresh) -> None:
            try:
                await asyncio.wait_for(refresh(), SCRAPE_TIMEOUT)
            except Exception as error:
                self._scrape_errors.labels(reading=reading).inc()
                log.warning(
                    "metric reading failed", reading=reading, error=str(error) or type(error).__name__
                )

        await asyncio.gather(*(guarded(name, refresh) for name, refresh in self._refreshers))
        return generate_latest(self.registry)

    async def close(self) -> None:
        await self.offsets.close()
