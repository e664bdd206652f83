"""Who is calling intake: a project (by its reporting token) or the operator; and how often."""

from __future__ import annotations

import math
from dataclasses import dataclass

from fastapi import Request

from services.intake.ratelimit import RateLimiter
from shared.auth import Role, bearer_token, role_of, unauthorized
from shared.problems import Problem
from shared.projects import hash_token, token_matches
from shared.registry import ProjectRegistry
from shared.settings import CommonSettings


@dataclass(frozen=True)
class Caller:
    """A project reporting for itself, or the operator (project_id None)."""

    project_id: str | None

    @property
    def source(self) -> str:
        return f"/projects/{self.project_id}"


class Callers:
    def __init__(self, registry: ProjectRegistry, settings: CommonSettings, limiter: RateLimiter) -> None:
        self._registry = registry
        self._settings = settings
        self._limiter = limiter

    async def project(self, request: Request) -> Caller:
        """A project token's project; 401 without one, 429 past its rate."""
        caller, token_hash = await self._identify(request, operator_allowed=False)
        self._within_rate(token_hash)
        return caller

    async def project_or_operator(self, request: Request) -> Caller:
        caller, token_hash = await self._identify(request, operator_allowed=True)
        self._within_rate(token_hash)
        return caller

    async def _identify(self, request: Request, operator_allowed: bool) -> tuple[Caller, str]:
        token = bearer_token(request)
        if token is None:
            raise unauthorized("a project reporting token is needed (Authorization: Bearer <token>)")
        token_hash = hash_token(token)
        if operator_allowed and role_of(token, self._settings) is Role.OPERATOR:
            return Caller(None), token_hash
        # The lookup is by hash (which says nothing of the token); the final comparison is
        # in constant time.
        project = await self._registry.by_token_hash(token_hash)
        if project is None or not token_matches(token, project.token_sha256):
            raise unauthorized("the token is not a current project reporting token")
        return Caller(project.project_id), token_hash

    def _within_rate(self, token_hash: str) -> None:
        wait = self._limiter.wait_needed(token_hash)
        if wait > 0:
            raise Problem(
                429,
                "Too Many Requests",
                "this token is over its request rate; try again after Retry-After seconds",
                headers={"Retry-After": str(max(1, math.ceil(wait)))},
            )
