"""Where the services get the official translations of the Call for Action's and the
framework's texts: those the Secretariat loaded into MongoDB (`cfamon catalog translations
load`), one per language; none until one is loaded."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import CONFIG
from shared.domain.framework import ResultsFramework
from shared.domain.translations import (
    ENGLISH_TEXTS,
    CatalogTexts,
    CatalogTranslation,
    TranslationError,
    parse_translation,
)
from shared.logging import get_logger

PREFIX = "catalog_translation:"
log = get_logger("cfa.translations")


class Translations:
    """The translations loaded, kept in memory and refreshed by `follow`; `texts(language)` is
    never a database read."""

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._config = db[CONFIG]
        self._loaded: dict[str, CatalogTexts] = {}
        self._stamps: dict[str, tuple[datetime, int]] = {}  # what each was read from: its load, the framework
        self._loads = itertools.count(1)

    def texts(self, language: str) -> CatalogTexts:
        """The texts in `language`: its translation loaded, else English (ENGLISH_TEXTS)."""
        return self._loaded.get(language, ENGLISH_TEXTS)

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
        """Read the translations stored since the last time. An indicator the framework no
        longer has is left out (every replica the same); one that does not check at all is
        said in the log once, and the one before is kept."""
        found = self._config.find({"_id": {"$regex": f"^{PREFIX}"}})
        async for doc in found:
            language = doc["_id"].removeprefix(PREFIX)
            if self._stamps.get(language) == (doc["loaded_at"], id(framework)):
                continue
            self._stamps[language] = (doc["loaded_at"], id(framework))
            try:
                read = await asyncio.to_thread(
                    parse_translation, doc["text"], doc["source"], framework, False
                )
                self._loaded[language] = CatalogTexts(read, next(self._loads))
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
