"""The project registry in MongoDB: written by `cfamon projects`, read by intake."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.adapters.mongo import REGISTRY
from shared.domain.projects import Credentials, RegisteredProject
from shared.events.models import ProjectRegistered


class ProjectExistsError(Exception):
    """The project id is registered already."""


class ProjectRegistry:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._projects = db[REGISTRY]

    async def prepare(self) -> None:
        await self._projects.create_index("token_sha256")

    async def by_token_hash(self, token_sha256: str) -> RegisteredProject | None:
        doc = await self._projects.find_one({"token_sha256": token_sha256})
        return None if doc is None else RegisteredProject.from_document(doc)

    async def add(self, project: RegisteredProject) -> None:
        try:
            await self._projects.insert_one(project.to_document())
        except DuplicateKeyError:
            raise ProjectExistsError(project.project_id) from None

    async def remove(self, project_id: str) -> None:
        await self._projects.delete_one({"_id": project_id})

    async def get_many(self, project_ids: Iterable[str]) -> dict[str, RegisteredProject]:
        cursor = self._projects.find({"_id": {"$in": sorted(set(project_ids))}})
        return {doc["_id"]: RegisteredProject.from_document(doc) async for doc in cursor}

    async def all(self) -> list[RegisteredProject]:
        return [RegisteredProject.from_document(d) async for d in self._projects.find().sort("_id")]

    async def set_credentials(self, credentials: Credentials) -> bool:
        """Replace the project's token and signing key; the old ones stop working at once
        (intake reads the registry for every batch and every request)."""
        result = await self._projects.update_one(
            {"_id": credentials.project_id}, {"$set": credentials.registry_fields()}
        )
        return result.matched_count == 1

    async def apply(self, registrations: Iterable[tuple[ProjectRegistered, datetime]]) -> None:
        """The Secretariat's registrations that intake accepted (over HTTP with the operator
        token, or signed on Kafka), unless a later one is in place already."""
        for data, at in registrations:
            await self._set(data, at, {"registered_at": {"$lte": at}})

    async def set_registration(self, data: ProjectRegistered, at: datetime) -> None:
        """The Secretariat's change of a project (`cfamon projects update`)."""
        await self._set(data, at, {})

    async def _set(self, data: ProjectRegistered, at: datetime, condition: dict[str, Any]) -> None:
        # The registration's fields only: credentials replaced meanwhile stay replaced.
        fields = {k: v for k, v in data.model_dump(mode="json").items() if k != "project_id"}
        await self._projects.update_one(
            {"_id": data.project_id, **condition}, {"$set": {**fields, "registered_at": at}}
        )
