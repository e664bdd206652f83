"""Finds e-mail addresses and phone numbers in event data: events carry aggregates only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
# International form (+ or 00 prefix), or a grouped national number such as 030 1234 5678
# or (555) 123-4567. Dates (2025-01-01), years and counts do not match.
PHONE = re.compile(
    r"(?<![\w+])(?:\+|00)[1-9][\d\s().-]{6,18}\d(?!\w)"
    r"|(?<![\w-])\(?0?\d{2,4}\)?[\s./-]\d{3,4}[\s./-]\d{3,4}(?![\w-])"
)
MIN_PHONE_DIGITS = 8


def _strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _strings(item, f"{path}[{index}]")


def _has_phone(text: str) -> bool:
    return any(
        sum(ch.isdigit() for ch in match.group()) >= MIN_PHONE_DIGITS for match in PHONE.finditer(text)
    )


def find_personal_data(
    data: dict[str, Any], free_text_fields: frozenset[str], prefix: str = "data"
) -> tuple[str, str] | None:
    """(field, what) of the first e-mail address anywhere, or phone number in free text."""
    for path, text in _strings(data, prefix):
        if EMAIL.search(text):
            return path, "contains an e-mail address"
        if path.rsplit(".", 1)[-1] in free_text_fields and _has_phone(text):
            return path, "contains a phone number"
    return None
