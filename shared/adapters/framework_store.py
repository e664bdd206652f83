"""Where the services get the results framework: the one the Secretariat loaded into MongoDB
(`cfamon framework load`), else the file CFA_RESULTS_FRAMEWORK names (default: the sample)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from shared.adapters.mongo import CONFIG
from shared.domain.framework import FrameworkError, ResultsFramework, load_framework, parse_framework
from shared.logging import get_logger

FRAMEWORK_ID = "results_framework"
log = get_logger("cfa.framework")


class FrameworkSource:
    def __init__(self, db: AsyncDatabase[dict[str, Any]], fallback: Path | None) -> None:
        self._config = db[CONFIG]
        self._fallback = fallback
        self.loaded_at: datetime | None = None

    async def save(self, text: str, source: str, at: datetime) -> ResultsFramework:
        """Validate and store; every service picks it up at its next refresh."""
        framework = parse_framework(text, source)
        await self._config.replace_one(
            {"_id": FRAMEWORK_ID},
            {"text": text, "source": source, "loaded_at": at, "indicators": len(framework.indicators)},
            upsert=True,
        )
        return framework

    async def current(self) -> ResultsFramework:
        doc = await self._config.find_one({"_id": FRAMEWORK_ID})
        if doc is None:
            self.loaded_at = None
            return load_framework(self._fallback)
        self.loaded_at = doc["loaded_at"]
        return parse_framework(doc["text"], doc["source"])

    async def changed(self) -> bool:
        doc = await self._config.find_one({"_id": FRAMEWORK_ID}, {"loaded_at": 1})
        return (doc["loaded_at"] if doc else None) != self.loaded_at

    async def follow(self, apply: Callable[[ResultsFramework], None], every_seconds: float) -> None:
        """Poll for a newly loaded framework and hand it to `apply` (runs until cancelled)."""
        while True:
            await asyncio.sleep(every_seconds)
            try:
                if await self.changed():
                    apply(await self.current())
                    log.info("results framework reloaded", loaded_at=str(self.loaded_at))
            except FrameworkError as error:
                log.error("stored results framework is invalid; keeping the previous one", error=str(error))
            except Exception as error:
                log.warning("cannot check the results framework", error=str(error))
