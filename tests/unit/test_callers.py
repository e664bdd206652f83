"""Who calls intake, with a hand-written registry that counts its lookups: a bad token costs
one lookup, then none; requests without a valid credential are limited per address."""

from __future__ import annotations

from collections.abc import Awaitable

import pytest
from fastapi import Request

from services.intake.callers import Callers, TokenHashes
from services.intake.settings import IntakeSettings
from shared.adapters.problems import Problem
from shared.domain.projects import RegisteredProject, hash_token
from shared.trust import Principal
from tests.factories import registered

TOKEN = "cfa_" + "g" * 43
OPERATOR = "o" * 40


class CountingRegistry:
    def __init__(self, *projects: RegisteredProject) -> None:
        self.by_hash = {p.token_sha256: p for p in projects}
        self.lookups = 0

    async def by_token_hash(self, token_sha256: str) -> RegisteredProject | None:
        self.lookups += 1
        return self.by_hash.get(token_sha256)


def request(token: str | None, address: str = "10.0.0.1") -> Request:
    headers = [(b"authorization", f"Bearer {token}".encode())] if token else []
    return Request(
        {
            "type": "http",
            "method": "POST",
            "path": "/v1/events",
            "headers": headers,
            "client": (address, 5555),
        }
    )


def callers(registry: CountingRegistry, **settings: object) -> Callers:
    return Callers(registry, IntakeSettings(operator_token=OPERATOR, **settings))


async def status_of(coroutine: Awaitable[object]) -> int:
    try:
        await coroutine
    except Problem as problem:
        return problem.status_code
    return 200


async def test_a_bad_token_costs_one_lookup_then_none() -> None:
    registry = CountingRegistry(registered("PK-GOOD-01", token=TOKEN))
    who = callers(registry, anonymous_rate_burst=1000)
    assert await who.project_or_operator(request(TOKEN)) == Principal("PK-GOOD-01")
    statuses = [await status_of(who.project_or_operator(request("cfa_wrong"))) for _ in range(50)]
    assert statuses == [401] * 50
    assert registry.lookups == 2  # the good token once, the bad one once
    assert await who.project_or_operator(request(OPERATOR)) == Principal.secretariat()
    assert registry.lookups == 2  # the operator token is a setting: no lookup


async def test_requests_without_a_valid_credential_are_limited_per_address() -> None:
    registry = CountingRegistry(registered("PK-GOOD-01", token=TOKEN))
    who = callers(registry, anonymous_rate_per_second=0.001, anonymous_rate_burst=2)
    assert await who.project(request(TOKEN, "10.0.0.9")) == Principal("PK-GOOD-01")
    here = [await status_of(who.project(request(None, "10.0.0.9"))) for _ in range(3)]
    there = await status_of(who.project(request("cfa_bad", "10.0.0.10")))
    assert here == [401, 401, 429] and there == 401
    # A token that was valid before is still looked up from an address over its limit.
    assert await who.project(request(TOKEN, "10.0.0.9")) == Principal("PK-GOOD-01")


def test_the_remembered_bad_tokens_are_bounded() -> None:
    bad = TokenHashes(size=3)
    for n in range(5):
        bad.add(hash_token(f"t{n}"))
    assert [hash_token(f"t{n}") in bad for n in range(5)] == [False, False, True, True, True]


async def test_a_request_pays_for_each_event_it_carries() -> None:
    who = callers(CountingRegistry(), rate_per_second=0.001, rate_burst=1000, max_batch_events=1000)
    caller = Principal("PK-GOOD-01")
    who.charge(caller, 999)
    who.admit(caller)  # one event's worth is left
    with pytest.raises(Problem) as refused:
        who.charge(caller, 2)
    assert refused.value.status_code == 429
    who.charge(caller, 1)


async def test_an_address_over_its_limit_gets_no_lookup_for_a_new_guess() -> None:
    registry = CountingRegistry()
    who = callers(registry, anonymous_rate_per_second=0.001, anonymous_rate_burst=2)
    statuses = [await status_of(who.project(request(f"cfa_guess{n}", "10.0.0.7"))) for n in range(5)]
    assert statuses == [401, 401, 429, 429, 429]
    assert registry.lookups == 2
