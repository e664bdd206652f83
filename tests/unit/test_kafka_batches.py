"""A record batch the consumer cannot read becomes one stand-in record, also when the fetch
starts inside it; a readable one is read as aiokafka reads it."""

from __future__ import annotations

from aiokafka.consumer.fetcher import PartitionRecords
from aiokafka.structs import TopicPartition

from shared.adapters.kafka_batches import UnreadableBatch, tolerate_unreadable_batches
from tests.kafka_helpers import batch_claiming

LZ4, NONE = 3, 0
MESSAGES = [(b"P-1", [("ce_id", b"e1")], b"{}"), (b"P-1", [], b"{}"), (b"P-1", [], b"{}")]


def read(batch: bytes, fetch_offset: int = 0) -> tuple[list[object], int]:
    tolerate_unreadable_batches()
    import aiokafka.consumer.fetcher as fetcher

    records = PartitionRecords(
        TopicPartition("t", 0), fetcher.MemoryRecords(batch), [], fetch_offset, None, None, True, 0
    )
    return list(records), records.next_fetch_offset


def test_a_readable_batch_is_read_as_it_is() -> None:
    records, next_offset = read(batch_claiming(NONE, MESSAGES))
    assert [r.value for r in records] == [b"{}"] * 3  # type: ignore[attr-defined]
    assert next_offset == 3


def test_an_unreadable_batch_is_one_record_holding_the_batch() -> None:
    broken = batch_claiming(LZ4, MESSAGES)
    [record], next_offset = read(broken)
    value = record.value  # type: ignore[attr-defined]
    assert isinstance(value, UnreadableBatch) and bytes(value) == broken
    assert (value.codec, value.first_offset, value.last_offset) == ("lz4", 0, 2)
    assert next_offset == 3  # the consumer moves past it


def test_a_fetch_that_starts_inside_an_unreadable_batch_still_gets_it() -> None:
    [record], next_offset = read(batch_claiming(LZ4, MESSAGES), fetch_offset=2)
    assert isinstance(record.value, UnreadableBatch)  # type: ignore[attr-defined]
    assert next_offset == 3


def test_a_batch_whose_crc_fails_is_handed_on_too() -> None:
    broken = bytearray(batch_claiming(NONE, MESSAGES))
    broken[-1] ^= 0xFF  # a flipped bit in the last record
    [record], _ = read(bytes(broken))
    assert "CRC" in record.value.problem  # type: ignore[attr-defined]
