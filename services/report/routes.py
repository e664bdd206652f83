"""`GET /v1/report.pdf` and `/v1/report.xlsx`: the meeting pack over HTTP, with the read
API's parameters (as_of, known_at, figures) and `since`."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response

from services.report.pack import meeting_pack
from shared.adapters.knownat import KnownAt, read_model_known_at
from shared.adapters.problems import Problem
from shared.adapters.translations_store import Translations
from shared.clock import Clock
from shared.domain.changes import what_moved
from shared.domain.liveview import LiveView
from shared.domain.translations import ENGLISH_TEXTS
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


class Packs:
    """Packs made, kept by what they are made of (the last eight), and made one at a time:
    a pack takes a second or more of CPU, and asking for it again must not make it again."""

    def __init__(self, kept: int = 8) -> None:
        self._made: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()
        self._kept = kept
        self._lock = asyncio.Lock()

    async def get(self, key: tuple[Any, ...], make: Callable[[], Awaitable[bytes]]) -> bytes:
        found = self._made.get(key)
        if found is None:
            async with self._lock:
                found = self._made.get(key)
                if found is None:
                    found = self._made[key] = await make()
                    while len(self._made) > self._kept:
                        self._made.popitem(last=False)
        self._made.move_to_end(key)
        return found


def pack_routes(
    view: LiveView,
    known: KnownAt,
    clock: Clock,
    model: Any,
    alerts: Alerts,
    translations: Translations | None = None,
) -> APIRouter:
    router = APIRouter()
    packs = Packs()

    async def made(
        rm: ReadModel, since: datetime | None, request: Request, lang: str | None, kind: str
    ) -> tuple[bytes, str]:
        """The pack's bytes in the language asked, from the cache when nothing it is made of
        changed: the figures' version (or the past moment), the framework, the alerts."""
        now = clock()
        if since is not None and since >= (rm.known_at or now):
            message = "must be before the moment the figures are known at"
            raise Problem(
                400, "Invalid request", f"since: {message}", [{"field": "query.since", "message": message}]
            )
        language = chosen_language(lang, request.headers.get("accept-language"))
        firing = await alerts()
        version = view.figures.version if rm.known_at is None else rm.known_at
        shown = tuple((a["severity"], a["summary"], a["starts_at"]) for a in firing)
        texts = translations.texts(language) if translations else ENGLISH_TEXTS
        key = (kind, language, rm.as_of, rm.figures, version, id(view.framework), texts.version, since, shown)

        async def make() -> bytes:
            figures = view.figures if rm.known_at is None else await known.figures(rm.known_at)
            series = figures.of(rm.figures).indexes.series
            moved = []
            if since is not None:
                before = await read_model_known_at(view, known, now, rm.as_of, since, rm.figures)
                moved = what_moved(before, rm)
            pack = await asyncio.to_thread(
                meeting_pack, rm, view.framework, series, now, firing, since, moved
            )
            # Imported when a pack is first asked for: reportlab and openpyxl are ~37 MB of a
            # service's memory, which its other work never needs.
            from services.report.pdf import document
            from services.report.xlsx import workbook

            write = document if kind == "pdf" else workbook
            return await asyncio.to_thread(write, pack, language, texts)

        return await packs.get(key, make), language

    def attachment(body: bytes, media_type: str, rm: ReadModel, suffix: str, language: str) -> Response:
        filename = f"cfa-meeting-pack-{rm.as_of.isoformat()}.{suffix}"
        headers = {
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Language": language,
            "Vary": "Accept-Language",
        }
        return Response(body, media_type=media_type, headers=headers)

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
        body, language = await made(rm, since, request, lang, "pdf")
        return attachment(body, "application/pdf", rm, "pdf", language)

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
        body, language = await made(rm, since, request, lang, "xlsx")
        return attachment(body, XLSX, rm, "xlsx", language)

    return router
