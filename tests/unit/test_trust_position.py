"""Where intake read an event, on its bp.events.v1 record: under a MAC of its own, bound to
the record's mark, so no copy can claim another position and an older aggregator, which
reads neither header, still verifies the mark."""

from __future__ import annotations

from shared.trust import (
    RAW_POSITION,
    RAW_VOUCH,
    VALIDATED,
    Principal,
    mark,
    read_mark,
    vouch_position,
    vouched_position,
)

KEY = b"i" * 32
HEADERS = [("ce_id", b"e-1"), ("content-type", b"application/cloudevents+json")]


def marked_headers(value: bytes, position: str) -> list[tuple[str, bytes]]:
    marked_with = mark(KEY, VALIDATED, Principal("P-1"), b"P-1", HEADERS, value)
    extra = {**marked_with, **vouch_position(KEY, marked_with, position)}
    return [*HEADERS, *((n, v.encode()) for n, v in extra.items())]


def test_the_position_holds_on_its_record_only() -> None:
    headers = marked_headers(b"{}", "bp.events.raw/3/42")
    assert vouched_position(KEY, headers) == "bp.events.raw/3/42"
    assert read_mark(KEY, VALIDATED, b"P-1", headers, b"{}") == Principal("P-1")  # the mark holds as before
    moved = [(n, b"bp.events.raw/3/43" if n == RAW_POSITION else v) for n, v in headers]
    assert vouched_position(KEY, moved) is None
    other = marked_headers(b'{"x": 1}', "bp.events.raw/3/43")  # another record's position and MAC
    grafted = [(n, v) for n, v in headers if n not in (RAW_POSITION, RAW_VOUCH)]
    grafted += [(n, v) for n, v in other if n in (RAW_POSITION, RAW_VOUCH)]
    assert vouched_position(KEY, grafted) is None
    assert vouched_position(KEY, [(n, v) for n, v in headers if n != RAW_VOUCH]) is None
    assert vouched_position(b"k" * 32, headers) is None


def test_a_position_that_is_none_is_never_read() -> None:
    for bad in ("garbage", "bp.events.raw/x/1", "a/b/c/1/2", "bp.events.raw/1/1\n", ""):
        assert vouched_position(KEY, marked_headers(b"{}", bad)) is None
