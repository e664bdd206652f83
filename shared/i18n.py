"""The languages people read the monitor in: English and Russian (the Budapest Process
publishes in both). Messages are gettext catalogs managed with Babel (`make messages`
extracts them from the code and updates each language's .po file); a catalog is read with
Babel when first used, so there is no compiled file to build or ship. Dates and numbers
are formatted by Babel for each language."""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import cache
from io import BytesIO
from pathlib import Path

import pycountry
from babel import Locale
from babel.dates import format_date, format_datetime
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

LOCALES = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGES = ("en", "ru")  # English is the source language: its messages are the code's
FORMATS = {"en": "en_GB"}  # dates and numbers as the Budapest Process writes them: 1 July 2026


def N_(message: str) -> str:
    """Marks a message for the catalogs where it is written; it is translated where it is shown."""
    return message


class Messages:
    """One language's messages: `gettext` answers the translation, or the English text when
    the catalog has none (a test fails on any message missing from a catalog); `ngettext`
    the form for a number by the language's plural rule (Russian has three)."""

    def __init__(self, language: str, catalog: Catalog | None = None) -> None:
        self.language = language
        self.locale = FORMATS.get(language, language)
        self._translations = NullTranslations()
        if catalog is not None:
            compiled = BytesIO()
            write_mo(compiled, catalog)  # leaves fuzzy ones out: a fuzzy one is a guess, not a translation
            compiled.seek(0)
            self._translations = Translations(compiled, domain=DOMAIN)

    def gettext(self, message: str) -> str:
        # An empty message is the catalog's header in gettext: never a text to show.
        return self._translations.gettext(message) if message else message

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self._translations.ngettext(singular, plural, n)

    def said(self, why: str) -> str:
        """A text made of messages (shared.domain.said.Said) in this language; a plain text as it is."""
        text = getattr(why, "text", None)
        return str(text(self)) if callable(text) else why

    def date(self, day: date) -> str:
        """1 July 2026 / 1 июля 2026 г."""
        return format_date(day, format="long", locale=self.locale)

    def moment(self, at: datetime) -> str:
        """A moment in UTC, in the language's long form, with its zone named."""
        utc = at.astimezone(UTC) if at.tzinfo is not None else at
        return format_datetime(utc, format="d MMMM y, HH:mm 'UTC'", tzinfo=None, locale=self.locale)

    def number(self, value: float | None) -> str:
        if value is None:
            return "—"
        pattern = "#,##0" if abs(value) >= 100 or value == round(value) else "#,##0.0"
        return format_decimal(value, format=pattern, locale=self.locale)


@cache
def country_names(language: str) -> dict[str, str]:
    """Countries' names in `language` by ISO 3166 alpha-3 code, from the CLDR (Babel)."""
    territories = Locale.parse(messages(language).locale).territories
    return {c.alpha_3: territories[c.alpha_2] for c in pycountry.countries if c.alpha_2 in territories}


def catalog_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def messages(language: str) -> Messages:
    """The messages of a language of LANGUAGES (ValueError otherwise)."""
    if language not in LANGUAGES:
        raise ValueError(f"is not a language of the monitor ({', '.join(LANGUAGES)})")
    if language == "en":
        return Messages("en")
    with catalog_path(language).open("rb") as file:
        return Messages(language, read_po(file, locale=language, domain=DOMAIN))


def chosen_language(asked: str | None, accept_language: str | None) -> str:
    """`asked` (a `lang` parameter) when given, else the first of LANGUAGES the
    Accept-Language header prefers ("ru-RU,ru;q=0.9,en;q=0.8" -> ru), else English. An
    unknown `asked` is a ValueError; an unknown Accept-Language entry is passed over."""
    if asked:
        messages(asked)  # ValueError when it is none of LANGUAGES
        return asked
    preferred = []
    for n, part in enumerate((accept_language or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                continue
        language = tag.strip().lower().split("-")[0]
        if language in LANGUAGES and weight > 0:
            preferred.append((-weight, n, language))
    return min(preferred)[2] if preferred else "en"
