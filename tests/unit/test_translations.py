"""Official translations of the Call for Action's texts: checked like the framework, each
problem named by its key; what a translation lacks stays in English."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from services.report.pack import translated
from services.report.pdf import document
from shared.domain import catalog
from shared.domain.framework import load_framework
from shared.domain.translations import ENGLISH_TEXTS, CatalogTexts, TranslationError, parse_translation
from tests.unit.test_report import seeded_pack

FRAMEWORK = load_framework(None)
GOOD = """
language: ru
source: a test text (no official one ships)
priorities: {1: Приоритет один}
action_points: {"1.1": Пункт один-один}
twg: {law_enforcement: Группа правоохранительных органов}
indicators: {ind-1.1-cooperation-agreements: {name: Соглашения, unit: соглашений}}
"""


def test_a_translation_is_checked_and_gives_what_it_has() -> None:
    texts = CatalogTexts(parse_translation(GOOD, "ru.yaml", FRAMEWORK))
    assert texts.language == "ru"
    first = catalog.priorities()[0]
    assert texts.priority(1, first.title) == "Приоритет один"
    assert texts.priority(2, "English") == "English"  # not translated: English
    assert texts.action_point("1.1", "x") == "Пункт один-один" and texts.action_point("1.2", "x") == "x"
    assert texts.twg("law_enforcement", "x") == "Группа правоохранительных органов"
    assert texts.indicator("ind-1.1-cooperation-agreements", "x") == "Соглашения"
    assert texts.unit("ind-1.1-cooperation-agreements", "x") == "соглашений"
    assert ENGLISH_TEXTS.priority(1, first.title) == first.title and ENGLISH_TEXTS.language == "en"


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("language: [", "ru.yaml: not YAML"),
        ("language: ru\n", "ru.yaml: source: Field required"),
        ("language: ru\nsource: s\nextra: 1\n", "ru.yaml: extra: Extra inputs are not permitted"),
        ("language: en\nsource: s\n", "ru.yaml: language: 'en' is not one the monitor translates into (ru)"),
        ("language: ru\nsource: s\npriorities: {7: x}\n", "ru.yaml: priorities.7: no such priority"),
        (
            'language: ru\nsource: s\naction_points: {"1.9": x}\n',
            "ru.yaml: action_points.1.9: no such action point",
        ),
        ("language: ru\nsource: s\ntwg: {other: x}\n", "ru.yaml: twg.other: no such Thematic Working Group"),
        (
            "language: ru\nsource: s\nindicators: {ind-x: {name: y}}\n",
            "ru.yaml: indicators.ind-x: no such indicator",
        ),
        (
            'language: ru\nsource: s\npriorities: {1: "  "}\n',
            "ru.yaml: priorities[1]: String should have at least 1",
        ),
        (
            'language: ru\nsource: s\npriorities: {1: "a\\u202eb\\u0000"}\n',
            "ru.yaml: priorities[1]: holds a control",
        ),
    ],
)
def test_each_problem_is_named(text: str, problem: str) -> None:
    with pytest.raises(TranslationError) as refused:
        parse_translation(text, "ru.yaml", FRAMEWORK)
    assert any(p.startswith(problem) for p in refused.value.problems), refused.value.problems


def test_official_texts_keep_their_non_breaking_spaces() -> None:
    text = 'language: ru\nsource: s\npriorities: {1: "Призыв 2025\u20132030\u00a0гг. (10\u202f000)"}\n'
    assert (
        parse_translation(text, "ru.yaml", FRAMEWORK).priorities[1]
        == "Призыв 2025–2030\u00a0гг. (10\u202f000)"
    )


def test_a_service_reads_a_translation_the_framework_has_since_outgrown() -> None:
    """Loading refuses an indicator the framework does not have; a service reading a
    translation loaded before leaves it out, so every replica shows the same texts."""
    old = "language: ru\nsource: s\npriorities: {1: x}\nindicators: {ind-gone: {name: y}}\n"
    with pytest.raises(TranslationError):
        parse_translation(old, "ru.yaml", FRAMEWORK)
    read = parse_translation(old, "ru.yaml", FRAMEWORK, strict=False)
    assert read.priorities == {1: "x"} and read.indicators == {}


def test_the_pdf_says_the_official_texts_and_drops_the_english_note() -> None:
    pack = seeded_pack()
    texts = CatalogTexts(parse_translation(GOOD, "ru.yaml", FRAMEWORK))
    reader = PdfReader(io.BytesIO(document(pack, "ru", texts)))
    flat = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Приоритет один" in flat and "официальный перевод не загружен" not in flat
    assert translated(pack, ENGLISH_TEXTS) is pack  # nothing loaded: English, unchanged
