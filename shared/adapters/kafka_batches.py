"""Record batches a consumer cannot read are handed on, not retried for ever.

aiokafka decompresses a fetched record batch while iterating it; when that fails (a codec it
lacks, bytes that are not what the batch header says, a CRC mismatch) it raises from
`getmany`, FastStream logs the error and fetches the same batch again: the partition stops
for good, and every later message on it is lost in practice. Here such a batch becomes one
record whose value is the batch, byte for byte as fetched (compressed), that the services'
handlers dead-letter with the reason; the consumer then moves past it.

aiokafka has no hook for this: `tolerate_unreadable_batches` replaces the record reader of
its fetcher (`aiokafka.consumer.fetcher.MemoryRecords`) with one that keeps each batch's
bytes. It is checked on the real broker by tests/integration/test_codecs.py.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

import aiokafka.consumer.fetcher as _fetcher
from aiokafka.record.default_records import DefaultRecord
from aiokafka.record.memory_records import MemoryRecords

if TYPE_CHECKING:
    from shared.events.codec import KafkaRecord

CODECS = {0: "none", 1: "gzip", 2: "snappy", 3: "lz4", 4: "zstd"}
_LOG_OVERHEAD = 12  # offset (int64) and length (int32) precede every batch, in every format


class UnreadableBatch(bytes):
    """The value of the record standing for a batch that could not be read: the batch's
    bytes, with what was wrong and the offsets it covers. Only this module makes one, so no
    producer can forge it (a header could be)."""

    problem: str
    codec: str
    first_offset: int
    last_offset: int

    def __new__(
        cls, raw: bytes, problem: str, codec: str, first_offset: int, last_offset: int
    ) -> UnreadableBatch:
        value = super().__new__(cls, raw)
        value.problem, value.codec = problem, codec
        value.first_offset, value.last_offset = first_offset, last_offset
        return value

    @property
    def description(self) -> str:
        offsets = (
            f"offset {self.first_offset}"
            if self.first_offset == self.last_offset
            else f"offsets {self.first_offset}-{self.last_offset}"
        )
        return f"the record batch at {offsets} ({self.codec}) cannot be read: {self.problem}"


class _Batch:
    """A batch of the fetch response, read all at once, or one stand-in record when it fails."""

    def __init__(self, batch: Any, raw: memoryview) -> None:
        self._batch = batch
        self._raw = raw  # a view: the bytes are copied only for a stand-in, never on the hot path
        self._crc_ok = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._batch, name)

    def validate_crc(self) -> bool:
        # aiokafka raises on a CRC mismatch and fetches the batch again, for ever.
        self._crc_ok = self._batch.validate_crc()
        return True

    def __iter__(self) -> Iterator[Any]:
        if not self._crc_ok:
            yield self._stand_in("its CRC does not match its bytes")
            return
        try:
            records = list(self._batch)
        except MemoryError:
            raise  # not the batch's fault: fetched again once there is memory
        except Exception as error:  # a codec it lacks, bytes that are not what it says
            yield self._stand_in(f"{type(error).__name__}: {error}"[:300])
            return
        yield from records

    def __next__(self) -> Any:
        # aiokafka reads a control batch's marker with next() (read_committed consumers).
        return next(self._batch)

    def _stand_in(self, problem: str) -> DefaultRecord:
        # The batch's own first offset is in its first 8 bytes (a v0/v1 wrapper's is its
        # last inner record's); the stand-in takes the last offset, so a fetch that starts
        # inside the batch still gets it (aiokafka skips records before the fetch offset).
        first = struct.unpack_from(">q", self._raw, 0)[0]
        last = max(self._batch.next_offset - 1, first)
        codec_id = getattr(self._batch, "compression_type", -1)
        value = UnreadableBatch(
            bytes(self._raw), problem, CODECS.get(codec_id, f"codec {codec_id}"), first, last
        )
        timestamp = getattr(self._batch, "first_timestamp", None) or getattr(self._batch, "timestamp", -1)
        timestamp_type = getattr(self._batch, "timestamp_type", 0) or 0
        return DefaultRecord(last, timestamp or -1, timestamp_type, None, value, [])


class _Records:
    """aiokafka's MemoryRecords that also hands out each batch's own bytes."""

    def __init__(self, data: bytes) -> None:
        self._data = memoryview(data)
        self._position = 0
        self._records = MemoryRecords(data)

    def size_in_bytes(self) -> int:
        return int(self._records.size_in_bytes())

    def has_next(self) -> bool:
        return bool(self._records.has_next())

    def next_batch(self) -> _Batch | None:
        start = self._position
        batch = self._records.next_batch()
        if batch is None:
            return None
        length = struct.unpack_from(">i", self._data, start + 8)[0]
        self._position = start + _LOG_OVERHEAD + length
        return _Batch(batch, self._data[start : self._position])


def tolerate_unreadable_batches() -> None:
    """Make every consumer of this process hand unreadable batches on (idempotent)."""
    _fetcher.MemoryRecords = _Records


class UnreadableLog:
    """What one service met that it could not read: counted (cfa_unreadable_batches_total)
    and the last one named in /readyz, which stays ready (the consumer moved past it)."""

    def __init__(self, counter: Any | None = None) -> None:
        self._counter = counter
        self.count = 0
        self.last: str | None = None

    def expect(self, topic: str) -> None:
        """Show the series of `topic` at 0 before anything goes wrong (dashboards, alerts)."""
        if self._counter is not None:
            for codec in CODECS.values():
                self._counter.labels(topic=topic, codec=codec)

    def saw(self, records: Iterable[KafkaRecord]) -> None:
        for record in records:
            if isinstance(value := record.value, UnreadableBatch):
                self.count += 1
                self.last = f"{record.topic} partition {record.partition}: {value.description}"
                if self._counter is not None:
                    self._counter.labels(topic=record.topic, codec=value.codec).inc()

    def notices(self) -> dict[str, str]:
        if self.last is None:
            return {}
        return {"unreadable_batches": f"{self.count} dead-lettered since start; the last: {self.last}"}
