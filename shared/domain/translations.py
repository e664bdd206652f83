"""Official translations of the Call for Action's own texts (its priorities, action points and
Thematic Working Groups) and of the results framework's (indicators' names and units), as the
Secretariat loads them (`cfamon catalog translations load FILE`). Only official texts belong
here: none ships, so until one is loaded those texts show in English, marked as such.

A file, in YAML:

    language: ru
    source: Official Russian text of the Call for Action, as published by the Secretariat
    priorities: {1: "...", 2: "..."}
    action_points: {"1.1": "...", ...}
    twg: {law_enforcement: "...", ...}
    indicators: {ind-1.1-people-reached: {name: "...", unit: "..."}, ...}

Every key must name something of the catalog or of the framework loaded; any may be left out
(that text stays in English)."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from typing import Annotated

import yaml
from pydantic import AfterValidator, BaseModel, ConfigDict, StrictInt, StringConstraints, ValidationError

from shared.domain import catalog
from shared.domain.framework import ResultsFramework
from shared.events.rejections import field_path, plain_message
from shared.i18n import LANGUAGES

BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
MAX_FILE_BYTES = 256 * 1024  # a translation of every text of the catalog and framework is ~60 KB


def _printable(text: str) -> str:
    """Text as an official document has it (non-breaking spaces included): no control
    character but a line break, and no bidirectional override that would reorder what it shows."""
    if any((unicodedata.category(c) == "Cc" and c != "\n") or c in BIDI_CONTROLS for c in text):
        raise ValueError("holds a control character")
    return text


Text = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000), AfterValidator(_printable)
]
Source = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300), AfterValidator(_printable)
]


class IndicatorTexts(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: Text | None = None
    unit: Text | None = None


class CatalogTranslation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    language: str
    source: Source
    priorities: dict[StrictInt, Text] = {}
    action_points: dict[str, Text] = {}
    twg: dict[str, Text] = {}
    indicators: dict[str, IndicatorTexts] = {}

    def count(self) -> int:
        """How many texts it translates."""
        named = sum((i.name is not None) + (i.unit is not None) for i in self.indicators.values())
        return len(self.priorities) + len(self.action_points) + len(self.twg) + named


class TranslationError(Exception):
    """The translation file is wrong; one line per problem, each naming the file and the key."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def parse_translation(
    text: str, source: str, framework: ResultsFramework, strict: bool = True
) -> CatalogTranslation:
    """The translation in `text` (YAML), checked against the catalog and `framework`. Not
    `strict` (a translation loaded before, read again by a service): an indicator the
    framework no longer has is left out, not a problem, so every replica shows the same."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise TranslationError([f"{source}: not YAML: {error}".replace("\n", " ")]) from None
    try:
        translation = CatalogTranslation.model_validate(raw)
    except ValidationError as error:
        problems = [
            f"{source}: {field_path('', tuple(e['loc'])) or '(the file)'}: {plain_message(e['msg'])}"
            for e in error.errors()
        ]
        raise TranslationError(problems) from None
    if not strict:
        kept = {k: v for k, v in translation.indicators.items() if k in framework.by_id}
        translation = translation.model_copy(update={"indicators": kept})
    problems = [f"{source}: {problem}" for problem in _unknown(translation, framework)]
    if problems:
        raise TranslationError(problems)
    return translation


def _unknown(translation: CatalogTranslation, framework: ResultsFramework) -> list[str]:
    others = [language for language in LANGUAGES if language != "en"]
    problems = []
    if translation.language not in others:
        problems.append(
            f"language: {translation.language!r} is not one the monitor translates into ({', '.join(others)})"
        )
    known: list[tuple[str, str, Iterable[object], set[object]]] = [
        ("priorities", "priority", translation.priorities, {p.id for p in catalog.priorities()}),
        ("action_points", "action point", translation.action_points, set(catalog.action_points())),
        ("twg", "Thematic Working Group", translation.twg, set(catalog.TWG_NAMES)),
        ("indicators", "indicator in the results framework", translation.indicators, set(framework.by_id)),
    ]
    for part, what, texts, ids in known:
        problems += [f"{part}.{key}: no such {what}" for key in texts if key not in ids]
    return problems


class CatalogTexts:
    """The Call for Action's and the framework's texts in a language: the official translation
    loaded for it, else English. `language` is that of the texts it gives (en without one)."""

    def __init__(self, translation: CatalogTranslation | None = None, version: int = 0) -> None:
        self._t = translation
        self.language = translation.language if translation else "en"
        self.version = version  # which load of the translation (a cache key); 0: none

    def priority(self, priority: int, english: str) -> str:
        return self._t.priorities.get(priority, english) if self._t else english

    def action_point(self, action_point: str, english: str) -> str:
        return self._t.action_points.get(action_point, english) if self._t else english

    def twg(self, key: str, english: str) -> str:
        return self._t.twg.get(key, english) if self._t else english

    def indicator(self, indicator: str, english: str) -> str:
        found = self._t.indicators.get(indicator) if self._t else None
        return found.name if found and found.name else english

    def unit(self, indicator: str, english: str) -> str:
        found = self._t.indicators.get(indicator) if self._t else None
        return found.unit if found and found.unit else english


ENGLISH_TEXTS = CatalogTexts()
