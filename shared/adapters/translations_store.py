"""Where the services get the official translations of the Call for Action's and the
framework's texts: those the Secretariat loaded into MongoDB (`cfamon catalog translations
load`), one per language; none until one is loaded."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import CONFIG
from shared.domain.framework import ResultsFramework
from shared.domain.translations import CatalogTexts, CatalogTranslation, TranslationError, parse_translation
from shared.logging import get_logger

PREFIX = "catalog_translation:"
log = get_logger("cfa.translations")


class Translations:
    """The translations loaded, kept in memory and refreshed by `follow`; `texts(language)` is
    never a database read."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._config = db[CONFIG]
        self._loaded: dict[str, CatalogTranslation] = {}
        self._stamps: dict[str, datetime] = {}

    def texts(self, language: str) -> CatalogTexts:
        return CatalogTexts(self._loaded.get(language))

    async def save(
        self, text: str, source: str, framework: ResultsFramework, at: datetime
    ) -> CatalogTranslation:
        """Check `text` and store it as its language's translation (replacing the one before)."""
        translation = parse_translation(text, source, framework)
        await self._config.replace_one(
            {"_id": PREFIX + translation.language},
            {"text": text, "source": source, "loaded_at": at, "texts": translation.count()},
            upsert=True,
        )
        return translation

    async def refresh(self, framework: ResultsFramework) -> None:
        """Read the stored translations again; one that no longer checks (the framework lost an
        indicator it names) is kept as it was, and said in the log."""
        found = self._config.find({"_id": {"$regex": f"^{PREFIX}"}})
        async for doc in found:
            language = doc["_id"].removeprefix(PREFIX)
            if self._stamps.get(language) == doc["loaded_at"]:
                continue
            try:
                self._loaded[language] = parse_translation(doc["text"], doc["source"], framework)
                self._stamps[language] = doc["loaded_at"]
            except TranslationError as error:
                log.error(
                    "stored translation is invalid; keeping the previous one",
                    language=language,
                    error=str(error),
                )

    async def follow(self, framework: Any, every_seconds: float) -> None:
        """Refresh every `every_seconds` (runs until cancelled); `framework()` is the current one."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                await self.refresh(framework())
            except Exception as error:
                log.warning("cannot read the catalog's translations", error=str(error))
