"""Why an event is refused: one machine-readable reason and a message naming the fields."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import ValidationError

from shared.events.signing import Proof


class RejectionReason(StrEnum):
    SCHEMA = "schema"
    UNKNOWN_ACTION_POINT = "unknown_action_point"
    UNKNOWN_INDICATOR = "unknown_indicator"
    UNKNOWN_PROJECT = "unknown_project"
    SOURCE_MISMATCH = "source_mismatch"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    PERSONAL_DATA = "personal_data"
    DUPLICATE = "duplicate"
    NOT_PERMITTED = "not_permitted"
    UNAUTHENTICATED = "unauthenticated"
    UNREADABLE = "unreadable"  # a record batch that could not be decompressed or failed its CRC


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


@dataclass(frozen=True)
class Rejection:
    reason: RejectionReason
    errors: tuple[FieldError, ...]

    @classmethod
    def of(cls, reason: RejectionReason, field: str, message: str) -> Rejection:
        return cls(reason, (FieldError(field, message),))

    @property
    def fields(self) -> tuple[str, ...]:
        return tuple(e.field for e in self.errors)

    @property
    def message(self) -> str:
        return "; ".join(str(e) for e in self.errors)


class Rejected(Exception):
    """Raised while decoding or checking an event; carries the rejection, and the event's
    proof of origin when it was read that far (a refusal is recorded under its signer)."""

    def __init__(self, rejection: Rejection, proof: Proof | None = None) -> None:
        super().__init__(rejection.message)
        self.rejection = rejection
        self.proof = proof


def field_path(prefix: str, loc: tuple[Any, ...]) -> str:
    """('countries', 0, 'code') under 'data' -> 'data.countries[0].code'."""
    path = prefix
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path = f"{path}.{part}" if path else str(part)
    return path or prefix


def schema_rejection(error: ValidationError, prefix: str) -> Rejection:
    """Every field error of a pydantic validation, not only the first."""
    errors = tuple(
        FieldError(field_path(prefix, tuple(e["loc"])), plain_message(e["msg"])) for e in error.errors()
    )
    return Rejection(RejectionReason.SCHEMA, errors)


def plain_message(message: str) -> str:
    """A pydantic error message without its \"Value error, \" prefix (a validator's own words)."""
    return message.removeprefix("Value error, ")
