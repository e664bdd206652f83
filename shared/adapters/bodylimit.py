"""Every HTTP body over its limit is refused with 413 before it is read whole or parsed: a
declared Content-Length over the limit is answered at once, and a body that
streams past it (chunked, or lying about its length) stops being read at the limit."""

from __future__ import annotations

from collections.abc import Callable

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.adapters.problems import Problem, problem

LimitFor = Callable[[str], int | None]  # path -> most bytes allowed; None: the route checks itself


class BodyTooLarge(Problem):
    """Raised while the app reads the body: the problem handler answers it, as any Problem."""

    def __init__(self, limit: int, path: str) -> None:
        super().__init__(413, "Content Too Large", f"the body is over the {limit}-byte limit of {path}")


class BodyLimit:
    """ASGI middleware; `limit_for(path)` gives each path's limit."""

    def __init__(self, app: ASGIApp, limit_for: LimitFor) -> None:
        self.app = app
        self.limit_for = limit_for

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.limit_for(path)
        if limit is None:
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(scope, receive, send, BodyTooLarge(limit, path))
            return
        received = 0
        started = False

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit, path)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as error:
            if started:
                raise
            await self._refuse(scope, receive, send, error)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, error: BodyTooLarge) -> None:
        response = problem(error.status_code, error.title, str(error.detail), Request(scope))
        await response(scope, receive, send)
