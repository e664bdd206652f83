"""Personal data in free text: what is found, and what must not be mistaken for it."""

from __future__ import annotations

import pytest

from shared.personal_data import find_personal_data

FREE = frozenset({"notes", "title"})


@pytest.mark.parametrize(
    "text",
    [
        "write to someone@example.org",
        "M.Rahman@ngo.org.pk reported",
        "call +92 300 1234567",
        "call 0092-51-9201234",
        "phone (555) 123-4567 for details",
        "ring 030 1234 5678",
    ],
)
def test_found_in_free_text(text: str) -> None:
    assert find_personal_data({"notes": text}, FREE) is not None


@pytest.mark.parametrize(
    "text",
    [
        "Trained 2400 officers between 2025-01-01 and 2025-06-30",
        "Budget 1 250 000 EUR",
        "Action points 3.1 and 3.2; 45 participants, 20 women",
        "Reference ICMPD-2025-000123 (phase 2)",
        "Session 10:30-12:00, room 204",
    ],
)
def test_not_mistaken(text: str) -> None:
    assert find_personal_data({"notes": text}, FREE) is None


def test_phone_numbers_only_matter_in_free_text_but_emails_anywhere() -> None:
    assert find_personal_data({"activity_id": "00923001234567"}, FREE) is None
    assert find_personal_data({"countries": [{"code": "x@y.org"}]}, FREE) == (
        "data.countries[0].code",
        "contains an e-mail address",
    )
