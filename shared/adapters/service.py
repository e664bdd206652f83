"""What every service shares: a FastAPI app whose lifespan runs the Kafka broker, and health."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi_offline import FastAPIOffline
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST
from pymongo import AsyncMongoClient

from shared.adapters.asyncapi import asyncapi_of
from shared.adapters.bodylimit import BodyLimit, LimitFor
from shared.adapters.kafka import client_options, ensure_topics
from shared.adapters.metrics import ServiceMetrics
from shared.adapters.openapi import document_answers
from shared.adapters.problems import install_problem_handlers
from shared.logging import get_logger
from shared.settings import CommonSettings

Startup = Callable[[], Awaitable[None]]
STARTUP_ATTEMPTS = 30

log = get_logger("cfa.service")


async def _with_retries(what: str, step: Startup, attempts: int = STARTUP_ATTEMPTS) -> None:
    """Servers may come up after the service: wait for them (with backoff) instead of dying."""
    for attempt in range(1, attempts + 1):
        try:
            await step()
            return
        except Exception as error:
            if attempt == attempts:
                raise
            log.warning("waiting for a dependency", step=what, attempt=attempt, error=str(error))
            await asyncio.sleep(min(0.2 * 2**attempt, 5.0))


async def readiness(broker: KafkaBroker, mongo: AsyncMongoClient[dict[str, Any]]) -> dict[str, str]:
    """What is unreachable, by name; empty when all answer."""
    problems: dict[str, str] = {}
    if not await broker.ping(timeout=2.0):
        problems["kafka"] = "unreachable"
    try:
        await asyncio.wait_for(mongo.admin.command("ping"), timeout=2.0)
    except Exception as error:
        problems["mongodb"] = f"unreachable ({type(error).__name__})"
    return problems


async def _stop_broker(broker: KafkaBroker, grace: float) -> None:
    """Stop, flushing what is pending; with Kafka down that could take the producer's whole
    request timeout, so give up after `grace` (unconfirmed messages were never acknowledged
    to anyone: their offsets were not committed, their HTTP senders got 503)."""
    try:
        await asyncio.wait_for(broker.stop(), grace)
    except TimeoutError:
        log.warning("kafka did not answer while stopping; pending messages dropped", grace_seconds=grace)


def _notices(notices: dict[str, str]) -> dict[str, dict[str, str]]:
    return {"notices": notices} if notices else {}


def _health_routes(
    title: str,
    broker: KafkaBroker,
    mongo: AsyncMongoClient[dict[str, Any]],
    not_ready: Callable[[], dict[str, str]],
    metrics: ServiceMetrics | None,
) -> APIRouter:
    """/healthz, /readyz, the AsyncAPI document and /metrics."""
    router = APIRouter(tags=["health"])

    @router.get("/healthz")
    async def healthz() -> dict[str, str]:
        """Alive: the process answers."""
        return {"status": "ok"}

    @router.get("/readyz", responses={503: {"description": "Not ready: what is unreachable"}})
    async def readyz() -> JSONResponse:
        """Ready: Kafka and MongoDB both answer; 503 names what does not. `notices` names
        what the service met and moved past (a record batch it could not read)."""
        problems = {**await readiness(broker, mongo), **not_ready()}
        notices = metrics.unreadable.notices() if metrics is not None else {}
        if problems:
            return JSONResponse(
                {"status": "unavailable", "unreachable": problems, **_notices(notices)}, status_code=503
            )
        return JSONResponse({"status": "ready", **_notices(notices)})

    @router.get("/asyncapi.json")
    async def asyncapi_json() -> JSONResponse:
        """The AsyncAPI 3.0 document of the topics this service reads and writes."""
        return JSONResponse(asyncapi_of(broker, title).to_jsonable())

    @router.get(
        "/asyncapi.yaml",
        response_class=PlainTextResponse,
        responses={200: {"content": {"application/yaml": {}}, "description": "The AsyncAPI 3.0 document"}},
    )
    async def asyncapi_yaml() -> PlainTextResponse:
        return PlainTextResponse(asyncapi_of(broker, title).to_yaml(), media_type="application/yaml")

    if metrics is not None:
        exposition = metrics.exposition

        @router.get("/metrics", response_class=PlainTextResponse)
        async def prometheus_metrics() -> PlainTextResponse:
            """Prometheus text format: FastStream's message series and the cfa_ series."""
            return PlainTextResponse(await exposition(), media_type=CONTENT_TYPE_LATEST)

    return router


def create_service_app(
    title: str,
    settings: CommonSettings,
    broker: KafkaBroker,
    mongo: AsyncMongoClient[dict[str, Any]],
    on_start: Startup | None = None,
    background: Sequence[Callable[[], Coroutine[Any, Any, None]]] = (),
    not_ready: Callable[[], dict[str, str]] = dict,
    on_stop: Startup | None = None,
    metrics: ServiceMetrics | None = None,
    body_limits: LimitFor | None = None,
    every_operation: Sequence[int] = (),
) -> FastAPI:
    """The service's HTTP app; its lifespan creates the topics, runs `on_start`, starts the
    broker and the `background` tasks, and stops them all in reverse (`on_stop` first, while
    the tasks still run, to let work in hand finish). `not_ready` names what, besides Kafka
    and MongoDB, keeps the service from being ready. Every request body is limited
    (`body_limits`, default CFA_MAX_BODY_BYTES for every path). `every_operation`: status codes
    any route may answer, for the OpenAPI document (429 where every request is rate-limited)."""

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        async def topics() -> None:
            await ensure_topics(
                settings.kafka_bootstrap_servers,
                settings.topics.all(),
                settings.topic_partitions,
                **client_options(settings),
            )

        await _with_retries("create topics", topics)
        if on_start is not None:
            await _with_retries("prepare database", on_start)
        await broker.start()
        tasks = [asyncio.create_task(job(), name=job.__name__) for job in background]
        log.info("service started", service=title)
        try:
            yield
        finally:
            if on_stop is not None:
                await on_stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await _stop_broker(broker, settings.shutdown_grace_seconds)
            if metrics is not None:
                await metrics.close()
            await mongo.close()
            log.info("service stopped", service=title)

    # Swagger UI (/docs) and ReDoc (/redoc) from the assets fastapi-offline packages: the
    # pages work on networks without the public CDN FastAPI's own pages load them from.
    app = FastAPIOffline(title=f"Call for Action Monitor — {title}", lifespan=lifespan)
    install_problem_handlers(app)
    document_answers(app, every_operation, settings.public_reads)
    app.add_middleware(BodyLimit, limit_for=body_limits or (lambda _: settings.max_body_bytes))
    app.state.broker = broker  # for `cfamon docs` (its AsyncAPI) and the deploy checks
    app.state.metrics = metrics  # for the deploy checks (the series it exports)

    app.include_router(_health_routes(title, broker, mongo, not_ready, metrics))

    return app
