"""The live view: a service (each aggregator replica, the notifier) folds the whole event log
into facts in memory, then follows new events through a MongoDB change stream (events of
every partition, not only its own), and answers reads as of any date from memory."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from shared.facts import fact_of_document
from shared.factset import FactSet
from shared.framework import ResultsFramework
from shared.logging import get_logger
from shared.readmodel import ReadModel, build_read_model
from shared.status import Thresholds

log = get_logger("cfa.liveview")
CACHED_DATES = 64


class LiveView:
    def __init__(self, framework: ResultsFramework, thresholds: Thresholds) -> None:
        self.facts = FactSet()
        self._framework = framework
        self._framework_version = 0
        self.thresholds = thresholds
        self._cache: OrderedDict[tuple[int, int, date], ReadModel] = OrderedDict()
        self.ready = asyncio.Event()
        self._listeners: list[Callable[[], None]] = []

    def on_change(self, listener: Callable[[], None]) -> None:
        """Call `listener` whenever a fact or the framework changes (whoever applied it)."""
        self._listeners.append(listener)

    def _changed(self) -> None:
        for listener in self._listeners:
            listener()

    @property
    def framework(self) -> ResultsFramework:
        return self._framework

    def set_framework(self, framework: ResultsFramework) -> None:
        if framework != self._framework:
            self._framework = framework
            # Cached series stay valid: a series depends on the measurements and its
            # (indicator, aggregation) key only, not on targets.
            self._framework_version += 1
            self._changed()

    def apply_documents(self, documents: Iterable[Mapping[str, Any]]) -> int:
        """Fold stored event documents in; answers how many changed a fact."""
        changed = sum(self.facts.apply(fact_of_document(doc)) for doc in documents)
        if changed:
            self._changed()
        return changed

    def read_model(self, as_of: date) -> ReadModel:
        """Every figure as of a date; computed once per version of the facts and framework."""
        key = (self.facts.version, self._framework_version, as_of)
        model = self._cache.get(key)
        if model is None:
            model = build_read_model(self.facts, self._framework, as_of, self.thresholds)
            self._cache[key] = model
            while len(self._cache) > CACHED_DATES:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(key)
        return model
