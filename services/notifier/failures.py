"""How a delivery fails: transient (tried again with backoff) or permanent (marked failed)."""

from __future__ import annotations

import random
from datetime import timedelta

MAX_DELAY_SECONDS = 600.0
ERROR_CHARS = 300  # an error text kept in the outbox and shown to operators


class Transient(Exception):
    """Try again later: the receiver or the way to it is down or misconfigured, and will be
    put right."""


class Permanent(Exception):
    """Trying again will not help: this notification cannot be built, or its receiver refused
    it for good; the entry is marked failed."""


def retry_delay(attempts: int, rng: random.Random) -> timedelta:
    """Exponential backoff with ±20 % jitter: 2 s, 4 s, 8 s … capped at 10 minutes. The
    exponent is capped too: 2.0 * 2**1024 overflows a float (an entry retried for a week)."""
    return timedelta(seconds=min(2.0 * 2 ** min(attempts, 16), MAX_DELAY_SECONDS) * rng.uniform(0.8, 1.2))


def error_text(error: BaseException) -> str:
    """One printable line, short, of what went wrong: safe to store, show and log (a receiver's
    answer may hold anything)."""
    text = " ".join(str(error).split()) or type(error).__name__
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text[:ERROR_CHARS]
