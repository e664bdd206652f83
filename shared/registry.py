"""The project registry in MongoDB: written by `cfamon projects`, read by intake."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.mongo import REGISTRY
from shared.projects import RegisteredProject


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

    async def get(self, project_id: str) -> RegisteredProject | None:
        doc = await self._projects.find_one({"_id": project_id})
        return None if doc is None else RegisteredProject.from_document(doc)

    async def get_many(self, project_ids: Iterable[str]) -> dict[str, RegisteredProject]:
        cursor = self._projects.find({"_id": {"$in": sorted(set(project_ids))}})
        return {doc["_id"]: RegisteredProject.from_document(doc) async for doc in cursor}

    async def all(self) -> list[RegisteredProject]:
        return [RegisteredProject.from_document(d) async for d in self._projects.find().sort("_id")]

    async def set_token_hash(self, project_id: str, token_sha256: str) -> bool:
        result = await self._projects.update_one(
            {"_id": project_id}, {"$set": {"token_sha256": token_sha256}}
        )
        return result.matched_count == 1
