"""`GET /v1/report.pdf` and `/v1/report.xlsx`: the meeting pack over HTTP, with the read
API's parameters (as_of, known_at, figures) and `since`."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from services.report.pack import MeetingPack, meeting_pack
from services.report.pdf import document
from services.report.xlsx import workbook
from shared.adapters.knownat import KnownAt, read_model_known_at
from shared.adapters.problems import Problem
from shared.clock import Clock
from shared.domain.changes import what_moved
from shared.domain.liveview import LiveView
from shared.domain.views import ReadModel
from shared.i18n import chosen_language
from shared.isodate import IsoDateTime

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Since = Annotated[
    IsoDateTime | None,
    Query(description="Also what moved since this moment (RFC 3339), before the figures' known_at"),
]
Alerts = Callable[[], Awaitable[list[dict[str, Any]]]]
Lang = Annotated[
    Literal["en", "ru"] | None,
    Query(description="The pack's language (en, ru); default: the Accept-Language header's, else English"),
]


def pack_routes(view: LiveView, known: KnownAt, clock: Clock, model: Any, alerts: Alerts) -> APIRouter:
    router = APIRouter()

    async def pack(rm: ReadModel, since: datetime | None) -> MeetingPack:
        now = clock()
        if since is not None and since >= (rm.known_at or now):
            message = "must be before the moment the figures are known at"
            raise Problem(
                400, "Invalid request", f"since: {message}", [{"field": "query.since", "message": message}]
            )
        figures = view.figures if rm.known_at is None else await known.figures(rm.known_at)
        series = figures.of(rm.figures).indexes.series
        moved = []
        if since is not None:
            before = await read_model_known_at(view, known, now, rm.as_of, since, rm.figures)
            moved = what_moved(before, rm)
        return await asyncio.to_thread(
            meeting_pack, rm, view.framework, series, now, await alerts(), since, moved
        )

    def attachment(body: bytes, media_type: str, rm: ReadModel, suffix: str) -> Response:
        filename = f"cfa-meeting-pack-{rm.as_of.isoformat()}.{suffix}"
        return Response(
            body, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'}
        )

    @router.get(
        "/report.pdf",
        response_class=Response,
        responses={200: {"content": {"application/pdf": {}}, "description": "The meeting pack"}},
    )
    async def report_pdf(
        request: Request, rm: ReadModel = model, since: Since = None, lang: Lang = None
    ) -> Response:
        """The Reference Group's meeting pack as a PDF, as of a date, as known at a moment,
        in English or Russian."""
        made = await pack(rm, since)
        language = chosen_language(lang, request.headers.get("accept-language"))
        body = await asyncio.to_thread(document, made, language)
        response = attachment(body, "application/pdf", rm, "pdf")
        response.headers["Content-Language"] = language
        return response

    @router.get(
        "/report.xlsx",
        response_class=Response,
        responses={200: {"content": {XLSX: {}}, "description": "The meeting pack, one sheet per part"}},
    )
    async def report_xlsx(
        request: Request, rm: ReadModel = model, since: Since = None, lang: Lang = None
    ) -> Response:
        """The meeting pack as a workbook: one sheet per part, real numbers and dates, its
        headings in English or Russian."""
        made = await pack(rm, since)
        language = chosen_language(lang, request.headers.get("accept-language"))
        response = attachment(await asyncio.to_thread(workbook, made, language), XLSX, rm, "xlsx")
        response.headers["Content-Language"] = language
        return response

    return router
