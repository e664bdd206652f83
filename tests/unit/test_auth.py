"""Operator and reader tokens: who may do what, and public reads."""

from __future__ import annotations

import pytest
from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient

from shared.adapters.auth import Role, require, role_of
from shared.adapters.problems import install_problem_handlers
from shared.settings import CommonSettings

OPERATOR, READER = "o" * 32, "r" * 32


def app_with(settings: CommonSettings) -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/read", dependencies=[Depends(require(Role.READER, settings))])
    async def read() -> dict[str, str]:
        return {"ok": "read"}

    @app.post("/write", dependencies=[Depends(require(Role.OPERATOR, settings))])
    async def write() -> dict[str, str]:
        return {"ok": "write"}

    return TestClient(app)


def test_roles_by_token() -> None:
    settings = CommonSettings(operator_token=OPERATOR, reader_token=READER)
    assert [role_of(t, settings) for t in (OPERATOR, READER, "x" * 32, None)] == [
        Role.OPERATOR,
        Role.READER,
        Role.ANYONE,
        Role.ANYONE,
    ]


@pytest.mark.parametrize(
    ("public", "token", "read", "write"),
    [
        (False, None, 401, 401),
        (False, READER, 200, 403),
        (False, OPERATOR, 200, 200),
        (False, "w" * 32, 401, 401),
        (True, None, 200, 401),
    ],
)
def test_who_may_read_and_write(public: bool, token: str | None, read: int, write: int) -> None:
    client = app_with(CommonSettings(operator_token=OPERATOR, reader_token=READER, public_reads=public))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    assert client.get("/read", headers=headers).status_code == read
    assert client.post("/write", headers=headers).status_code == write


def test_short_tokens_are_refused_at_start() -> None:
    with pytest.raises(ValueError, match="at least 32"):
        CommonSettings(operator_token="short")
