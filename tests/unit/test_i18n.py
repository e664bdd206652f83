"""Every text people read is in each language's catalog, with the same placeholders; dates
and numbers follow each language."""

from __future__ import annotations

import re
import tokenize
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from shared.i18n import LANGUAGES, catalog_path, chosen_language, messages

ROOT = Path(__file__).resolve().parents[2]
GETTEXT_CALL = re.compile(r"\b(?:gettext|ngettext|_|N_)\(\s*['\"]")  # a message written in the call
PLACEHOLDER = re.compile(r"\{[a-z_]+\}|%\([a-z_]+\)s")  # str.format's in code, Jinja's in templates
METHODS = [("**/templates/**.html", "jinja2"), ("**.py", "python")]
OPTIONS = {"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extracted() -> set[str]:
    """The messages of the code and the pages' templates, as `make messages` extracts them."""
    found = set()
    for folder in ("services", "shared"):
        for _, _, message, _, _ in extract_from_dir(ROOT / folder, method_map=METHODS, options_map=OPTIONS):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_no_message_is_hidden_in_an_f_string() -> None:
    """Babel cannot extract a message from inside an f-string: it would never be translated.
    (An f-string is one token up to Python 3.11, a run of tokens from 3.12.)"""
    hidden = []
    start = getattr(tokenize, "FSTRING_START", None)
    end = getattr(tokenize, "FSTRING_END", None)
    for folder in ("services", "shared"):
        for path in (ROOT / folder).rglob("*.py"):
            with path.open("rb") as file:
                tokens = list(tokenize.tokenize(file.readline))
            depth = 0
            for n, token in enumerate(tokens):
                depth += (token.type == start) - (token.type == end)
                if token.type == tokenize.STRING and token.string[:2].lower() in ("f'", 'f"', "rf", "fr"):
                    found = GETTEXT_CALL.search(token.string)
                else:  # 3.12: a call written inside an f-string's braces
                    called = [t.string for t in tokens[n : n + 3]]
                    found = (
                        depth > 0
                        and bool(called[2:])
                        and GETTEXT_CALL.match("".join(called[:2]) + called[2][:1])
                    )
                if found:
                    hidden.append(f"{path.relative_to(ROOT)}:{token.start[0]}")
    assert hidden == []


@pytest.mark.parametrize("language", [lang for lang in LANGUAGES if lang != "en"])
def test_every_message_is_in_each_catalog_with_its_placeholders(language: str) -> None:
    with catalog_path(language).open("rb") as file:
        catalog = read_po(file)
    code = extracted()
    assert len(code) > 50
    translated = {}
    for m in catalog:
        forms = m.string if isinstance(m.string, tuple) else (m.string,)
        if m.id and all(forms):
            source = m.id if isinstance(m.id, str) else m.id[0]
            translated[source] = (m.id if isinstance(m.id, tuple) else (m.id,), forms)
    assert sorted(code - translated.keys()) == [], f"missing from the {language} catalog (make messages)"
    assert sorted(translated.keys() - code) == [], "in the catalog, no longer in the code"
    for source, (ids, forms) in translated.items():
        for form in forms:  # every plural form names what the English names
            assert sorted(set(PLACEHOLDER.findall(ids[-1]))) == sorted(set(PLACEHOLDER.findall(form))), source


def test_dates_moments_and_numbers_by_language() -> None:
    en, ru = messages("en"), messages("ru")
    assert (en.date(date(2026, 7, 1)), ru.date(date(2026, 7, 1))) == ("1 July 2026", "1 июля 2026\u202fг.")
    at = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
    assert (en.moment(at), ru.moment(at)) == ("1 July 2026, 09:30 UTC", "1 июля 2026, 09:30 UTC")
    assert (en.number(12345.0), ru.number(12345.0)) == ("12,345", "12\xa0345")
    assert ru.gettext("On track") == "По плану" and en.gettext("On track") == "On track"
    with pytest.raises(ValueError, match="is not a language"):
        messages("de")


@pytest.mark.parametrize(
    ("asked", "header", "chosen"),
    [
        (None, None, "en"),
        (None, "ru-RU,ru;q=0.9,en;q=0.8", "ru"),
        (None, "de-DE,en;q=0.5,ru;q=0.7", "ru"),
        (None, "de, fr;q=0.8", "en"),
        (None, "ru;q=0, en", "en"),
        (None, "ru;q=abc, en;q=0.1", "en"),
        ("en", "ru", "en"),
    ],
)
def test_the_language_asked_or_preferred(asked: str | None, header: str | None, chosen: str) -> None:
    assert chosen_language(asked, header) == chosen
