"""Bearer tokens of the HTTP APIs: operators, readers; project tokens are intake's.

Tokens are compared in constant time and never logged.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Coroutine
from enum import IntEnum
from typing import Annotated, Any

from fastapi import Request, Security
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr

from shared.adapters.problems import Problem
from shared.settings import CommonSettings


class Role(IntEnum):
    """What a token may do; a higher role may do all a lower one may."""

    ANYONE = 0
    READER = 1
    OPERATOR = 2


def bearer_token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return (token.strip() or None) if scheme.lower() == "bearer" else None


def unauthorized(detail: str) -> Problem:
    return Problem(401, "Unauthorized", detail, headers={"WWW-Authenticate": 'Bearer realm="cfa"'})


def forbidden(detail: str) -> Problem:
    return Problem(403, "Forbidden", detail)


def secret_matches(token: str, secret: SecretStr | None) -> bool:
    return secret is not None and hmac.compare_digest(
        token.encode("utf-8"), secret.get_secret_value().encode("utf-8")
    )


def role_of(token: str | None, settings: CommonSettings) -> Role:
    if token is not None and secret_matches(token, settings.operator_token):
        return Role.OPERATOR
    if token is not None and secret_matches(token, settings.reader_token):
        return Role.READER
    return Role.ANYONE


TOKEN_COOKIE = "cfa_token"

# What the OpenAPI documents say of the tokens (securitySchemes, each route's security with
# the role it needs as scope). The checks themselves are below: these never refuse anything.
BEARER = HTTPBearer(
    scheme_name="bearer",
    description="A token: the reader's or the operator's (CFA_READER_TOKEN, CFA_OPERATOR_TOKEN), "
    "or, at intake, a project's reporting token (cfamon projects add)",
    auto_error=False,
)
DASHBOARD_COOKIE = APIKeyCookie(
    name=TOKEN_COOKIE,
    scheme_name="dashboardCookie",
    description="The dashboard's sign-in cookie (POST /login): good for reads only",
    auto_error=False,
)


def request_token(request: Request, role: Role) -> str | None:
    """The bearer token; for reads, the dashboard's sign-in cookie too (never for writes:
    a browser sends cookies with any page's form)."""
    token = bearer_token(request)
    if token is None and role is Role.READER:
        token = request.cookies.get(TOKEN_COOKIE)
    return token


def allowed(request: Request, role: Role, settings: CommonSettings) -> bool:
    """Whether the request may do what needs `role`; reads are open when CFA_PUBLIC_READS."""
    granted = role_of(request_token(request, role), settings)
    return granted >= role or (role is Role.READER and settings.public_reads)


def require(role: Role, settings: CommonSettings) -> Callable[..., Coroutine[Any, Any, Role]]:
    """A FastAPI dependency: 401 without a token good for `role`; reads are open when
    CFA_PUBLIC_READS is true."""

    async def check(request: Request) -> Role:
        token = request_token(request, role)
        granted = role_of(token, settings)
        if allowed(request, role, settings):
            return granted
        if token is None:
            raise unauthorized("this needs a bearer token (Authorization: Bearer <token>)")
        if granted is Role.READER:
            raise forbidden("a reader token cannot do this; it needs the operator token")
        raise unauthorized("the bearer token is not valid here")

    if role is Role.READER:

        async def read(
            request: Request,
            _bearer: Annotated[
                HTTPAuthorizationCredentials | None, Security(BEARER, scopes=["reader"])
            ] = None,
            _cookie: Annotated[str | None, Security(DASHBOARD_COOKIE, scopes=["reader"])] = None,
        ) -> Role:
            return await check(request)

        return read

    async def operate(
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER, scopes=["operator"])] = None,
    ) -> Role:
        return await check(request)

    return operate
