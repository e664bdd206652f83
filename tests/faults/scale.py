"""How big the fault and fuzz suites run: a quick form inside `make test`, the full form
(DESIGN §10: 10,000 events, several seeds) under `make test-faults`, which sets
CFA_TEST_FULL=1."""

from __future__ import annotations

import os

FULL = os.environ.get("CFA_TEST_FULL") == "1"


def scaled(quick: int, full: int) -> int:
    return full if FULL else quick
