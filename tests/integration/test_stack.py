"""The embedded stack: topics created explicitly with the partition count asked for."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

from shared.adapters.kafka import ensure_topics
from shared.stack import EmbeddedStack, StackEndpoints
from shared.stack.processes import port_open
from shared.topics import Topics

pytestmark = pytest.mark.integration


async def test_topics_are_created_with_the_partitions_asked(stack: StackEndpoints) -> None:
    topics = Topics.with_prefix("stacktest.")
    await ensure_topics(stack.kafka_bootstrap_servers, topics.all(), 3)
    await ensure_topics(stack.kafka_bootstrap_servers, topics.all(), 3)  # again: nothing changes
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap_servers)
    await consumer.start()
    try:
        assert set(topics.all()) <= await consumer.topics()
        for topic in topics.all():
            assert consumer.partitions_for_topic(topic) == {0, 1, 2}
    finally:
        await consumer.stop()


def test_the_smtp_sink_keeps_what_it_receives(embedded_stack: EmbeddedStack) -> None:
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "monitor@example.org", "rg@example.org", "hello"
    message.set_content("Priority 3 is behind.")
    with smtplib.SMTP(embedded_stack.smtp.host, embedded_stack.smtp.port, timeout=10) as smtp:
        smtp.send_message(message)
    kept = [m for m in embedded_stack.smtp.messages if m["Subject"] == "hello"]
    assert len(kept) == 1 and "Priority 3 is behind." in kept[0].get_content()


def test_stop_ends_every_server_process(tmp_path: Path) -> None:
    own = EmbeddedStack(tmp_path / "stack")
    endpoints = own.start()
    pids = [p.pid for p in own.processes.values()]
    assert len(pids) == 2 and all(Path(f"/proc/{pid}").exists() for pid in pids)
    own.stop()
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    host, port = endpoints.kafka_bootstrap_servers.split(":")
    assert not port_open(host, int(port))
