"""Texts people read, made of the catalogs' messages so that each can be said in the reader's
language: English as the string itself (what the API, logs and webhooks carry), in another
language with `text(words)`. A status's why is one; so is an alert's summary, kept with the
alert as JSON (`to_json`, `from_json`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol

from shared.isodate import iso_date, long_date

Clauses = tuple[tuple[str, tuple[tuple[str, object], ...]], ...]


class Word(str):
    """A value that is itself a message of the catalogs ("behind"), said in the reader's
    language like the message it is in."""


class Words(Protocol):
    """A language: its messages and its way of writing a day (shared.i18n.Messages)."""

    def gettext(self, message: str) -> str: ...

    def date(self, day: date) -> str: ...


class _English:
    @staticmethod
    def gettext(message: str) -> str:
        return message

    @staticmethod
    def date(day: date) -> str:
        return long_date(day)


ENGLISH = _English()


class Said(str):
    """Clauses, each a message with its values (numbers and texts as they are, days and
    `Word`s said in the language), joined by "; "."""

    clauses: Clauses

    def __new__(cls, text: str, clauses: Clauses = ()) -> Said:
        made = super().__new__(cls, text)
        made.clauses = clauses
        return made

    @classmethod
    def of(cls, message: str, **values: object) -> Said:
        clauses = ((message, tuple(values.items())),)
        return cls(_said(clauses, ENGLISH), clauses)

    def joined(self, other: Said) -> Said:
        """ "a; b": the clauses of both (a text with no clauses is kept as it is, never read as
        a message)."""
        clauses = _clauses_of(self) + _clauses_of(other)
        return Said(_said(clauses, ENGLISH), clauses)

    def text(self, words: Words) -> str:
        """In the language of `words`."""
        return _said(self.clauses, words) if self.clauses else str(self)

    def to_json(self) -> list[list[Any]]:
        """[[message, {name: value}], ...]; a day as {"date": ...}, a word as {"word": ...}."""

        def plain(value: object) -> object:
            if isinstance(value, Word):
                return {"word": str(value)}
            return {"date": value.isoformat()} if isinstance(value, date) else value

        return [[message, {k: plain(v) for k, v in values}] for message, values in self.clauses]

    @classmethod
    def from_json(cls, text: str, clauses: Sequence[Sequence[Any]] | None) -> Said:
        """Back from `to_json`, with its English `text`; without clauses, the text as it is."""

        def typed(value: object) -> object:
            if isinstance(value, dict):
                return Word(value["word"]) if "word" in value else iso_date(value["date"])
            return value

        kept = tuple(
            (str(message), tuple((k, typed(v)) for k, v in dict(values).items()))
            for message, values in clauses or ()
        )
        return cls(text, kept)


def _clauses_of(text: Said) -> Clauses:
    return text.clauses or (("{text}", (("text", str(text)),)),)


def _said(clauses: Clauses, words: Words) -> str:
    def shown(value: object) -> object:
        if isinstance(value, Word):
            return words.gettext(value)
        return words.date(value) if isinstance(value, date) else value

    return "; ".join(
        words.gettext(message).format(**{k: shown(v) for k, v in values}) for message, values in clauses
    )
