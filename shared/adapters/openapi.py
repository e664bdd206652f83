"""The OpenAPI documents say what the services answer.

FastAPI documents 422 for a request it cannot validate, while the services answer 400 with
problem details (shared.adapters.problems); it knows nothing of the 401/403 of the tokens, the 404 of
an unknown key, the 413 of the body limit, the 429 of the rate limits or the 503 of a server
that is down. `document_answers` completes each operation's responses from what the route
declares (parameters, body, security), so the document and the code cannot drift apart:
schemathesis checks every service's document against its answers in `make test`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict

from shared.adapters.problems import PROBLEM_JSON


class FieldProblem(BaseModel):
    field: str
    message: str
    reason: str | None = None  # intake: why an event was refused
    index: int | None = None  # intake: the event's place in a batch
    event_id: str | None = None


class ProblemDetails(BaseModel):
    """RFC 9457 problem details; `errors` names each field at fault."""

    model_config = ConfigDict(extra="allow")

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str
    errors: list[FieldProblem] | None = None


ANSWERS: dict[int, str] = {
    400: "Invalid request: problem details naming every field at fault and why",
    401: "No bearer token, or one that is not valid here (WWW-Authenticate: Bearer)",
    403: "The token is valid but may not do this (a reader token where the operator's is needed)",
    404: "Nothing has this key",
    413: "The request body is over the limit; it was not read",
    429: "Too many requests from this token or address; try again after Retry-After seconds",
    503: "A server this needs (Kafka, MongoDB) does not answer, or the service is still starting; "
    "try again after Retry-After seconds",
}


def document_answers(app: FastAPI, every_operation: Iterable[int] = (), public_reads: bool = False) -> None:
    """Make `app.openapi()` describe the answers the service really gives; `every_operation`:
    codes any of its routes may answer (429 where every request is rate-limited)."""
    generate = app.openapi
    also = frozenset(every_operation)

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None and app.openapi_schema.get("x-answers-documented"):
            return app.openapi_schema
        schema = generate()
        for path, operations in schema.get("paths", {}).items():
            for operation in operations.values():
                _complete(path, operation, also, public_reads)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem = ProblemDetails.model_json_schema(ref_template="#/components/schemas/{model}")
        components.update(problem.pop("$defs", {}))
        components["ProblemDetails"] = problem
        schema["x-answers-documented"] = True
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _can_be_invalid(parameter: dict[str, Any]) -> bool:
    """Whether a request can be refused for this parameter: a query or header parameter (its
    value, or a cursor that is none), or a path parameter that is more than any text."""
    if parameter.get("in") != "path":
        return True
    schema = parameter.get("schema", {})
    return set(schema) - {"type", "title", "description"} != set() or schema.get("type") != "string"


def _complete(path: str, operation: dict[str, Any], also: frozenset[int], public_reads: bool) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)
    parameters = operation.get("parameters", [])
    security: list[dict[str, list[str]]] = operation.get("security", [])
    roles = {role for requirement in security for scopes in requirement.values() for role in scopes}
    if public_reads and roles == {"reader"}:
        operation["security"] = [*security, {}]  # reads are open: no token needed
        security, roles = [], set()
    codes = set(also)
    if "requestBody" in operation or any(_can_be_invalid(p) for p in parameters):
        codes.add(400)
    if any(p.get("in") == "path" for p in parameters):
        codes.add(404)
    if "requestBody" in operation:
        codes.add(413)
    if security:
        codes.add(401)
    if roles - {"reader"} and roles != {"project", "operator"}:
        codes.add(403)  # a reader token where the operator's is needed
    if path.startswith("/v1/") or path == "/readyz":
        codes.add(503)
    for code in sorted(codes):
        responses.setdefault(str(code), {"description": ANSWERS[code]})
    for status, response in responses.items():
        if status.isdigit() and int(status) >= 400 and path != "/readyz":
            response.setdefault(
                "content", {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/ProblemDetails"}}}
            )
