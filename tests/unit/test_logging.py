"""Logs: one JSON object per line, with the fields operators filter on."""

from __future__ import annotations

import io
import json
import logging

from shared.events.codec import KafkaRecord
from shared.logging import batch_context, configure_logging, get_logger


def test_structlog_and_library_logs_are_json_lines() -> None:
    stream = io.StringIO()
    configure_logging("INFO", json=True, stream=stream)
    get_logger("cfa.test").info(
        "event rejected", reason="schema", topic="bp.events.raw", partition=1, offset=42
    )
    logging.getLogger("some.library").warning("from a library")
    get_logger("cfa.test").debug("below the level")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 2
    assert lines[0]["event"] == "event rejected"
    assert (lines[0]["topic"], lines[0]["partition"], lines[0]["offset"]) == ("bp.events.raw", 1, 42)
    assert lines[0]["level"] == "info" and "timestamp" in lines[0]
    assert lines[1]["event"] == "from a library" and lines[1]["level"] == "warning"


def test_batch_context_names_topic_and_offsets_per_partition() -> None:
    records = [KafkaRecord("t", p, o, None, b"", ()) for p, o in [(0, 5), (1, 9), (0, 7), (0, 6)]]
    assert batch_context(records) == {"topic": "t", "offsets": {"0": "5-7", "1": "9-9"}, "messages": 4}
