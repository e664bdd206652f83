"""Pages of a list: `limit` and an opaque `cursor`, answering {"items", "next_cursor"}."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from shared.adapters.problems import Problem

T = TypeVar("T")
MAX_LIMIT = 500
# A list route's paging parameters.
Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Most items in the page")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode("utf-8")).decode("ascii").rstrip("=")


def decode_cursor(cursor: str) -> str:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.b64decode(padded, altchars=b"-_", validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise Problem(
            400,
            "Invalid request",
            "cursor: not a cursor this API gave out",
            [{"field": "query.cursor", "message": "not a cursor this API gave out"}],
        ) from None


def page(items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None) -> Page[T]:
    """Items sorted by `key`, after the cursor's key, at most `limit` of them."""
    ordered = sorted(items, key=key)
    if cursor is not None:
        after = decode_cursor(cursor)
        ordered = [item for item in ordered if key(item) > after]
    chosen = list(ordered[:limit])
    more = len(ordered) > limit
    return Page[T](items=chosen, next_cursor=encode_cursor(key(chosen[-1])) if more and chosen else None)
