"""RFC 9457 problem details for every HTTP error, naming each field at fault."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure
from starlette.exceptions import HTTPException
from starlette.routing import Match, Mount

from shared.events.rejections import field_path, plain_message
from shared.i18n import N_, chosen_language, messages
from shared.logging import get_logger

PROBLEM_JSON = "application/problem+json"
log = get_logger("cfa.http")
# Every problem's title, for the catalogs: a title is said in the language the client asks
# for (Accept-Language, or `lang`), as RFC 9457 allows; so is a detail the catalogs hold. The
# fields' messages (`errors`) and the machine-readable `reason` stay as they are.
TITLES = (
    N_("Already accepted"),
    N_("Content Too Large"),
    N_("Event refused"),
    N_("Forbidden"),
    N_("HTTP error"),
    N_("Internal Server Error"),
    N_("Invalid request"),
    N_("Method Not Allowed"),
    N_("Not Found"),
    N_("Not permitted"),
    N_("Service Unavailable"),
    N_("Too Many Requests"),
    N_("Unauthorized"),
)
SERVER_FAILED = N_("the server failed; the error is logged")


def problem(status: int, title: str, detail: str, request: Request, **extra: Any) -> JSONResponse:
    """The problem in the language the request asks for (English unless it asks another)."""
    try:
        language = chosen_language(request.query_params.get("lang"), request.headers.get("accept-language"))
    except ValueError:  # an unknown `lang`: English, the problem says what is wrong
        language = "en"
    words = messages(language)
    body = {
        "type": "about:blank",
        "title": words.gettext(title),
        "status": status,
        "detail": words.gettext(detail),
        "instance": request.url.path,
        **extra,
    }
    response = JSONResponse(body, status_code=status, media_type=PROBLEM_JSON)
    response.headers["Content-Language"] = language
    response.headers["Vary"] = "Accept-Language"
    return response


class Problem(HTTPException):
    """An HTTP error with a title and the fields at fault."""

    def __init__(
        self,
        status: int,
        title: str,
        detail: str,
        errors: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(status, detail, headers)
        self.title = title
        self.errors = errors or []
        self.extra = extra


def unavailable(what: str, retry_after: int = 5) -> Problem:
    """503 with Retry-After: a dependency is down; the client should try again, unchanged."""
    return Problem(
        503,
        "Service Unavailable",
        f"{what} is unreachable; nothing was accepted, try again later",
        headers={"Retry-After": str(retry_after)},
    )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> list[str]:
    """The methods some route of the app takes at the request's path (RFC 9110's Allow),
    found by asking every route whether it would take the path with each method."""
    allowed = []
    for method in METHODS:
        scope = {**request.scope, "method": method}
        for route in request.app.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL and not isinstance(route, Mount):
                allowed.append(method)
                break
    # None found: a 405 of the static files (a Mount has rewritten the scope's path by then),
    # which are read only.
    return allowed or ["GET", "HEAD"]


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, error: Problem) -> JSONResponse:
        extra = {**error.extra, **({"errors": error.errors} if error.errors else {})}
        response = problem(error.status_code, error.title, str(error.detail), request, **extra)
        response.headers.update(error.headers or {})
        return response

    @app.exception_handler(ConnectionFailure)
    async def on_database_down(request: Request, error: ConnectionFailure) -> JSONResponse:
        log.warning("database unavailable", path=request.url.path, error=type(error).__name__)
        return await on_problem(request, unavailable("the database"))

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, error: HTTPException) -> JSONResponse:
        title = {404: "Not Found", 405: "Method Not Allowed"}.get(error.status_code, "HTTP error")
        response = problem(error.status_code, title, str(error.detail), request)
        response.headers.update(error.headers or {})
        if error.status_code == 405:  # every method of the path, not only its first route's
            response.headers["Allow"] = ", ".join(allowed_methods(request))
        return response

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": field_path("", tuple(e["loc"])), "message": plain_message(e["msg"])}
            for e in error.errors()
        ]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return problem(400, "Invalid request", detail, request, errors=errors)

    @app.exception_handler(Exception)
    async def on_unexpected(request: Request, error: Exception) -> JSONResponse:
        log.exception("request failed", path=request.url.path)
        return problem(500, "Internal Server Error", SERVER_FAILED, request)
