"""A 405 names every method its path takes (RFC 9110's Allow), also for the routes of an
included router (FastAPI keeps those apart from the app's own routes)."""

from __future__ import annotations

import httpx
import pytest

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings


@pytest.mark.parametrize(
    ("service", "method", "path", "allow"),
    [
        ("notifier", "PUT", "/v1/silences", "GET, POST"),
        ("notifier", "GET", "/v1/evaluate", "POST"),
        ("notifier", "PATCH", "/v1/silences/abc", "DELETE"),
        ("notifier", "TRACE", "/readyz", "GET"),
        ("aggregator", "POST", "/v1/priorities", "GET"),
        ("aggregator", "POST", "/alerts", "GET"),
        ("aggregator", "GET", "/logout", "POST"),
        ("aggregator", "POST", "/static-offline-docs/swagger-ui.css", "GET, HEAD"),
    ],
)
async def test_a_405_lists_the_methods_of_its_path(service: str, method: str, path: str, allow: str) -> None:
    app = (
        create_notifier(NotifierSettings(operator_token="o" * 40))
        if service == "notifier"
        else create_aggregator(AggregatorSettings())
    )
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        answer = await client.request(method, path)
    assert answer.status_code == 405
    assert answer.headers["allow"] == allow
    assert answer.headers["content-type"] == "application/problem+json"
