"""Who is calling intake (a project by its reporting token, or the Secretariat by the operator
token), and how much it may send: events per project, requests per address without a valid
credential. A bad token is remembered, so guessing costs no database lookup after the first."""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Annotated

from fastapi import Request, Security
from fastapi.security import HTTPAuthorizationCredentials

from services.intake.ratelimit import RateLimiter
from services.intake.settings import IntakeSettings
from shared.adapters.auth import BEARER, Role, bearer_token, role_of, unauthorized
from shared.adapters.problems import Problem
from shared.adapters.registry import ProjectRegistry
from shared.domain.projects import hash_token, token_matches
from shared.trust import Principal

MAX_REMEMBERED_BAD_TOKENS = 10_000


class TokenHashes:
    """A bounded set of token hashes, the least recently seen forgotten first. Remembering a
    token the registry did not know is safe: it never becomes valid (new tokens are fresh
    random values)."""

    def __init__(self, size: int = MAX_REMEMBERED_BAD_TOKENS) -> None:
        self._size = size
        self._hashes: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, token_hash: str) -> bool:
        if token_hash in self._hashes:
            self._hashes.move_to_end(token_hash)
            return True
        return False

    def add(self, token_hash: str) -> None:
        self._hashes[token_hash] = None
        if len(self._hashes) > self._size:
            self._hashes.popitem(last=False)


def too_many(wait: float, what: str) -> Problem:
    return Problem(
        429,
        "Too Many Requests",
        f"{what}; try again after Retry-After seconds",
        headers={"Retry-After": str(max(1, math.ceil(wait)))},
    )


class Callers:
    def __init__(self, registry: ProjectRegistry, settings: IntakeSettings) -> None:
        self._registry = registry
        self._settings = settings
        self._events = RateLimiter(settings.rate_per_second, settings.rate_burst)
        self._anonymous = RateLimiter(settings.anonymous_rate_per_second, settings.anonymous_rate_burst)
        self._bad = TokenHashes()  # unknown to the registry: no lookup again
        self._seen_good = TokenHashes()  # valid once: not held back by their address's limit

    async def project(
        self,
        request: Request,
        _bearer: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER, scopes=["project"])] = None,
    ) -> Principal:
        """A project token's project; 401 without one."""
        return await self._identify(request, operator_allowed=False)

    async def project_or_operator(
        self,
        request: Request,
        _bearer: Annotated[
            HTTPAuthorizationCredentials | None, Security(BEARER, scopes=["project", "operator"])
        ] = None,
    ) -> Principal:
        """A project, or the Secretariat (the operator token)."""
        return await self._identify(request, operator_allowed=True)

    def charge(self, caller: Principal, events: int) -> None:
        """Count `events` against the caller's rate: 429 (nothing done) when over it."""
        wait = self._events.wait_needed(str(caller), cost=max(1, events))
        if wait > 0:
            raise too_many(wait, f"{caller} is over its rate of {self._settings.rate_per_second:g} events/s")

    def admit(self, caller: Principal) -> None:
        """Before the body is read: 429 at once when not even one event would pass."""
        wait = self._events.wait_needed(str(caller), take=False)
        if wait > 0:
            raise too_many(wait, f"{caller} is over its rate of {self._settings.rate_per_second:g} events/s")

    async def _identify(self, request: Request, operator_allowed: bool) -> Principal:
        token = bearer_token(request)
        if token is None:
            self._limit_address(request)
            raise unauthorized("a reporting token is needed (Authorization: Bearer <token>)")
        if operator_allowed and role_of(token, self._settings) is Role.OPERATOR:
            return Principal.secretariat()
        token_hash = hash_token(token)
        if token_hash in self._bad:
            self._limit_address(request)
            raise unauthorized("the token is not a current project reporting token")
        # An address already over its limit of bad credentials gets no lookup for a new guess
        # (a token that was valid before is still looked up: the registry decides).
        if token_hash not in self._seen_good:
            self._limit_address(request, take=False)
        # The lookup is by hash (which says nothing of the token); the final comparison is
        # in constant time.
        project = await self._registry.by_token_hash(token_hash)
        if project is None or not token_matches(token, project.token_sha256):
            self._bad.add(token_hash)
            self._limit_address(request)
            raise unauthorized("the token is not a current project reporting token")
        self._seen_good.add(token_hash)
        return Principal(project.project_id)

    def _limit_address(self, request: Request, take: bool = True) -> None:
        address = request.client.host if request.client else "unknown"
        wait = self._anonymous.wait_needed(address, take=take)
        if wait > 0:
            raise too_many(wait, "too many requests without a valid credential from this address")
