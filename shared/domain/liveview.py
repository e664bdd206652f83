"""The live view: a service (each aggregator replica, the notifier) folds the whole event log
into facts in memory, then follows new events through a MongoDB change stream (events of
every partition, not only its own), and answers reads as of any date from memory."""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from datetime import date
from typing import Any

from shared.domain.facts import fact_of_document
from shared.domain.framework import ResultsFramework
from shared.domain.readmodel import read_model_of
from shared.domain.receipts import ReceiptTimes
from shared.domain.review import Basis, Figures
from shared.domain.status import Thresholds
from shared.domain.views import ReadModel
from shared.logging import get_logger

log = get_logger("cfa.liveview")
CACHED_DATES = 64


class LiveView:
    def __init__(
        self, framework: ResultsFramework, thresholds: Thresholds, basis: Basis = Basis.REPORTED
    ) -> None:
        self.figures = Figures()
        self.receipts = ReceiptTimes()  # when each folded event was stored: which a past moment knew
        self.facts = self.figures.reported  # every reported figure
        self.basis = basis  # what a read is over unless it says (CFA_FIGURES)
        self._framework = framework
        self._framework_version = 0
        self.thresholds = thresholds
        self._cache: OrderedDict[tuple[int, int, int, Basis, date], ReadModel] = OrderedDict()
        self._cache_lock = threading.Lock()
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
        changed = 0
        for doc in documents:
            changed += self.figures.apply(fact_of_document(doc))
            if (stored_at := doc.get("stored_at")) is not None:
                self.receipts.add(stored_at)
        if changed:
            self._changed()
        return changed

    def read_model(self, as_of: date, basis: Basis | None = None) -> ReadModel:
        """Every figure as of a date, over every reported figure or the approved ones (default:
        the view's basis); computed once per version of the figures and framework. Safe from
        any thread: it reads indexes that are never changed once made, while the event loop
        goes on applying facts."""
        basis = basis or self.basis
        facts = self.figures.of(basis)
        current = (self.figures.version, facts.version, self._framework_version, basis, as_of)
        with self._cache_lock:
            model = self._cache.get(current)
            if model is not None:
                self._cache.move_to_end(current)
                return model
        framework, framework_version = self._framework, self._framework_version
        # The key is taken before reading: the model is of this version or a later one.
        key = (self.figures.version, facts.version, framework_version, basis, as_of)
        model = read_model_over(self.figures, framework, as_of, self.thresholds, basis)
        with self._cache_lock:
            # Models of an older version are never read again: dropped, not kept until 64
            # dates push them out (a model over 40 projects takes 0.27 MB).
            for old in [k for k in self._cache if k[3] is basis and k[:3] < key[:3]]:
                del self._cache[old]
            self._cache[key] = model
            while len(self._cache) > CACHED_DATES:
                self._cache.popitem(last=False)
        return model

    async def read_model_off_loop(self, as_of: date, basis: Basis | None = None) -> ReadModel:
        """`read_model` in a worker thread: after many changes (a large log loaded, a burst
        touching every group) a build takes up to a second (measured: 1.4 s over 100,000
        events), which would hold up the event loop, and with it consuming and answering."""
        return await asyncio.to_thread(self.read_model, as_of, basis)


def read_model_over(
    figures: Figures, framework: ResultsFramework, as_of: date, thresholds: Thresholds, basis: Basis
) -> ReadModel:
    """The read model over the figures of a basis, with what waits for review."""
    pending = figures.pending_by_action_point({i.id: i.action_point for i in framework.indicators})
    # Whether a project reported is a matter of its reports, reviewed or not.
    reported = figures.reported.indexes.report_times
    return read_model_of(figures.of(basis).indexes, framework, as_of, thresholds, basis, pending, reported)
