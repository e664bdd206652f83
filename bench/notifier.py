"""The notifier benchmark: evaluate and deliver 1,000 alerts to a local SMTP sink,
a webhook and bp.alerts.v1, counting at the receivers that each alert arrived once."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import threading
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from bench.measure import rss_mb
from bench.workload import projects, registration_event, stored_documents
from shared.adapters.mongo import EVENTS, OUTBOX
from shared.stack import StackEndpoints
from shared.stack.processes import ManagedProcess, free_port, http_ok
from shared.stack.smtp import SmtpSink
from shared.topics import Topics

SILENT_PROJECTS = 1000  # each has never reported: one project_silent alert each
OPERATOR = "b" * 40
CONFIG = """
from: monitor@bench.example
reference_group: {{email: [rg@bench.example]}}
twg:
  law_enforcement: {{email: [le@bench.example]}}
  legal_pathways: {{email: [lp@bench.example]}}
  return_reintegration: {{email: [rr@bench.example]}}
webhooks:
  - {{url: "{hook}", format: json, receivers: [reference_group]}}
group_wait: 0s
repeat_interval: 7d
evaluate_every: 0
evaluate_on_progress: false
"""


class Hook:
    """A webhook receiver in a thread: every call's body kept."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        app = FastAPI()

        @app.post("/hook")
        async def receive(request: Request) -> JSONResponse:
            self.bodies.append(json.loads(await request.body()))
            return JSONResponse({})

        self.port = free_port()
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Hook:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return self

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


def registrations(count: int) -> list[dict[str, Any]]:
    """`count` project.registered events as the event log keeps them."""
    time_ = datetime(2025, 1, 1, tzinfo=UTC) - timedelta(days=1)
    return stored_documents(
        [
            registration_event(project, time_, f"reg-{n}")
            for n, project in enumerate(projects(count, random.Random(11), prefix="SILENT"))
        ]
    )


async def notifier_delivery(
    ep: StackEndpoints, db: Any, env: dict[str, str], run_dir: Path
) -> dict[str, Any]:
    await db[EVENTS].insert_many(registrations(SILENT_PROJECTS))
    smtp = SmtpSink()
    smtp.start()
    env = {**env, "CFA_MONGODB_DB": db.name, "CFA_TOPIC_PREFIX": "bench-notifier."}
    topics = Topics.with_prefix(env["CFA_TOPIC_PREFIX"])
    try:
        with Hook() as hook:
            config = run_dir / "notifier.yaml"
            config.write_text(CONFIG.format(hook=f"http://127.0.0.1:{hook.port}/hook"))
            port = free_port()
            notifier = ManagedProcess(
                "notifier",
                [sys.executable, "-m", "services.cli.main", "notifier", "--port", str(port)],
                run_dir / "logs" / "notifier.log",
                {
                    **env,
                    "CFA_SMTP_URL": f"smtp://127.0.0.1:{smtp.port}",
                    "CFA_NOTIFIER_CONFIG": str(config),
                    "CFA_OPERATOR_TOKEN": OPERATOR,
                    "CFA_NOTIFIER_TICK_SECONDS": "0.1",
                    "CFA_NOTIFIER_SEND_BATCH": "200",
                },
            )
            notifier.start()
            try:
                notifier.wait_until(lambda: http_ok(f"http://127.0.0.1:{port}/readyz"), timeout=120)
                outbox = db[OUTBOX]
                async with httpx.AsyncClient(timeout=120) as http:
                    start = time.perf_counter()
                    evaluated = await http.post(
                        f"http://127.0.0.1:{port}/v1/evaluate",
                        headers={"Authorization": f"Bearer {OPERATOR}"},
                    )
                    evaluated.raise_for_status()
                    evaluate_s = time.perf_counter() - start
                    # Done when the receivers have it all, watched there: polling the outbox
                    # would load the database the notifier writes to (measured: a count
                    # every 0.2 s made its rounds 3 to 5 times slower).
                    due = Counter([doc["channel"] async for doc in outbox.find({}, {"channel": 1})])
                    firing = evaluated.json()["firing"]
                    kafka_read = asyncio.create_task(
                        alert_records(ep.kafka_bootstrap_servers, topics.alerts, due["kafka"])
                    )
                    while (  # noqa: ASYNC110 - receivers in this process
                        len(smtp.messages) < due["email"] or len(hook.bodies) < due["webhook"]
                    ) or not kafka_read.done():
                        await asyncio.sleep(0.05)
                    total_s = time.perf_counter() - start
                    kafka = await kafka_read
                rss = rss_mb(notifier.pid)
            finally:
                notifier.stop()
            hooked = Counter(a["fingerprint"] for body in hook.bodies for a in body["alerts"])
    finally:
        smtp.stop()
    return {
        "alerts": firing,
        "evaluate_s": round(evaluate_s, 2),
        "evaluate_and_deliver_s": round(total_s, 2),
        "emails": len(smtp.messages),
        "webhook_calls": len(hook.bodies),
        "webhook_alerts": sum(hooked.values()),
        "webhook_duplicates": sum(n - 1 for n in hooked.values()),
        "kafka_records": sum(kafka.values()),
        "kafka_duplicates": sum(n - 1 for n in kafka.values()),
        "notifier_rss_mb": rss,
        "target_s": 10,
    }


async def alert_records(bootstrap: str, topic: str, expected: int) -> Counter[str]:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        parts = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(parts)
        await consumer.seek_to_beginning(*parts)
        keys: Counter[str] = Counter()
        deadline = time.monotonic() + 60
        while sum(keys.values()) < expected and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                keys.update(r.key.decode() for r in records if r.key)
        return keys
    finally:
        await consumer.stop()
