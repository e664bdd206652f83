"""Finds e-mail addresses and phone numbers anywhere in an event: events carry
aggregates only. Answers which field and what kind, never the text found."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from phonenumbers import Leniency, PhoneNumberMatcher

from shared.events.models import FORMAT_CHARACTERS_ASTRAL, FORMAT_CHARACTERS_BMP
from shared.events.signing import SIGNATURE_ATTRIBUTE, Signature

ED25519_SIGNATURE_BYTES = 64

if TYPE_CHECKING:
    from shared.events.envelope import Event

EMAIL = "contains an e-mail address"
PHONE = "contains a phone number"

# Looked for after NFKC (full-width ＠ and digits, ligatures, compatibility forms become plain)
# with invisible characters taken out: format characters (zero-width space and joiners, soft
# hyphen, BOM, bidi controls), the other characters that render as nothing (combining grapheme
# joiner, variation selectors, Hangul fillers) and control characters other than whitespace.
_INVISIBLE = re.compile(
    f"[{FORMAT_CHARACTERS_BMP}\\x00-\\x08\\x0e-\\x1b\\x7f-\\x84\\x86-\\x9f\\u034f\\u115f\\u1160"
    "\\u17b4\\u17b5\\u180b-\\u180f\\u3164\\ufe00-\\ufe0f\\uffa0]"
)
_ASTRAL = re.compile("[\\U00010000-\\U0010ffff]")
_INVISIBLE_ASTRAL = re.compile(f"[{FORMAT_CHARACTERS_ASTRAL}\\U000e0100-\\U000e01ef]")
_ASCII_CONTROLS = re.compile("[\\x00-\\x08\\x0e-\\x1b\\x7f]")

# After a separator: "@" / "[at]" / "(at)" ... or a spelt-out " at ", then domain labels and a
# letters-only TLD. The spelt-out " at " needs a spelt-out dot before the TLD ("name at domain
# dot org"): with a plain dot it would take "published at www.budapestprocess.org" for an address.
_OPEN, _CLOSE = r"[(\[{<]", r"[)\]}>]"
_SPELT_DOT = rf"(?:\s*{_OPEN}\s*(?:dot|\.)\s*{_CLOSE}\s*|\s+dot\s+)"
_DOT = rf"(?:\.|{_SPELT_DOT})"
_DOMAIN = rf"[\w-]+(?:{_DOT}[\w-]+)*?"
_TLD = r"[^\W\d_]{2,24}(?![\w-])"
_AFTER_LOCAL_PART = re.compile(
    rf"(?:\s*@\s*|\s*{_OPEN}\s*(?:at|@)\s*{_CLOSE}\s*){_DOMAIN}{_DOT}{_TLD}"
    rf"|\s+at\s+{_DOMAIN}{_SPELT_DOT}{_TLD}"
)
# Both start with a literal, which the regular expression engine finds fast.
_SEPARATORS = (re.compile("@"), re.compile(r"at(?=[\s)\]}>])"))

# Where a phone number could be: digits with at most four punctuation characters or spaces
# between them, from a "+" or from a trunk or international prefix 0 (0300 ..., 030 ...,
# 0044 ...), as every region below writes its national numbers; 7 digits at least. Years, ISO
# dates, periods and counts are left out at the cost of a regular expression.
_CANDIDATE = re.compile(r"(?:\+\W{0,4}\d|0(?<!\d0))(?:\W{0,4}\d){0,24}")  # starts with + or 0: fast
# Digits of other scripts (Persian ۰۳۰۰ ...), which the matcher reads too, could be any 0.
_CANDIDATE_ANY_DIGITS = re.compile(r"(?:\+\W{0,4}\d|[^\D1-9](?<!\d\d))(?:\W{0,4}\d){0,24}")
MIN_PHONE_DIGITS = 7
# Dates (02.03.2026, 2026-03-02), two-digit years included, and fractions (0.9445010) are
# taken out of the text around a candidate before the matcher reads it: open numbering plans
# (Germany's, Iran's, Bangladesh's) have valid numbers with those digits.
_DAY, _MONTH, _YEAR = r"(?:0?[1-9]|[12]\d|3[01])", r"(?:0?[1-9]|1[0-2])", r"(?:19|20)?\d\d"
_NOT_A_NUMBER = re.compile(
    rf"(?<![\d.,]){_DAY}([./-]){_MONTH}\1{_YEAR}(?![\d.,]?\d)"
    rf"|(?<![\d.,])(?:19|20)\d\d([./-]){_MONTH}\2{_DAY}(?![\d.,]?\d)"
    r"|(?<![\d.,])0[.,]\d+"
)
_MARGIN = 12  # room for a leading "+", "(" or "00 " and a trailing extension
_WORD = 24  # how far a window follows the word it cuts into
# Each candidate costs the matcher about 0.5 ms (nine regions): a string with more of them
# (decoys, or an attack on intake's time) is refused as holding a phone number.
MAX_CANDIDATES = 16
# A "+", a country code and 8 to 15 digits in all, grouped with spaces, hyphens, dots, slashes
# or brackets, is how people write an international number: refused whether or not the
# matcher finds the number valid (a typo, a range it does not know yet is still someone's
# number). Counts are never written so ("+2,400", "+12.5%", "+1 250 000" have no such shape).
_INTERNATIONAL = re.compile(r"(?<![\w+])\+[\s(]{0,2}[1-9](?:[\s().\-/]{0,3}\d){7,14}(?![\s().\-/]{0,3}\d)")
# Numbers in international form (+92 ..., 0092 ...) are found for every country. Numbers in
# national form are looked for as written in the Silk Routes countries, Turkey and the UK, in
# any grouping (VALID), and in Germany and France only grouped as those countries group them
# (STRICT_GROUPING): their open plans make numbers of dates, fractions and coordinates. Of
# 6,920 such strings the matcher alone took 1,291 for German numbers with VALID, 158 with
# STRICT_GROUPING ("02.03.2026" is valid in Duisburg, 0203); with _NOT_A_NUMBER and _glued, none.
NATIONAL_FORMS: tuple[tuple[str, int], ...] = (  # (region, a Leniency)
    *((region, Leniency.VALID) for region in ("PK", "AF", "IR", "IQ", "BD", "TR", "GB")),
    *((region, Leniency.STRICT_GROUPING) for region in ("DE", "FR")),
)


def normalised(text: str) -> str:
    if text.isascii():
        return text if text.isprintable() else _ASCII_CONTROLS.sub("", text)
    visible = _INVISIBLE.sub("", text)
    if _ASTRAL.search(visible):  # (one range: cheaper than the class below)
        visible = _INVISIBLE_ASTRAL.sub("", visible)
    return unicodedata.normalize("NFKC", visible)


def _has_email(low: str) -> bool:
    for separator in _SEPARATORS:
        for found in separator.finditer(low):
            start = found.start()  # back over "( " of "name ( at )" to the end of the local part
            while start > 0 and (low[start - 1].isspace() or low[start - 1] in "([{<"):
                start -= 1
            last = low[start - 1 : start]  # of the local part
            if (
                (last.isalnum() or last in ("_", ".", "%", "+", "-"))
                and last
                and _AFTER_LOCAL_PART.match(low, start)
            ):
                return True
    return False


def _glued(text: str, start: int, end: int) -> bool:
    """A digit run joined to letters, directly or by "-" or "_", is a piece of a code (the
    groups of a UUID, ICMPD-2025-000123); after "8 ", "8," or "7." it is the rest of a number
    (8 000 000 000, 7.0268671, coordinates). No phone number. "x12" after it is an extension."""
    before, after = text[max(0, start - 2) : start], text[end : end + 2]
    if before[-1:].isalnum() or (before[-1:] in ("-", "_") and before[:1].isalnum()):
        return True
    if before[-1:] in (" ", ".", ",", "'") and before[:1].isdigit():
        return True
    if after[:1] in ("x", "X") and after[1:].isdigit():
        return False
    return after[:1].isalnum() or (after[:1] in ("-", "_") and after[1:].isalnum())


def _window(text: str, start: int, end: int) -> str:
    """The digit run with the words around it, so the matcher sees the same context; a word
    is followed for at most _WORD characters, so no text costs more than linear time."""
    left, right = max(0, start - _MARGIN), min(len(text), end + _MARGIN)
    floor, ceiling = max(0, left - _WORD), min(len(text), right + _WORD)
    while left > floor and not text[left - 1].isspace():
        left -= 1
    while right < ceiling and not text[right].isspace():
        right += 1
    return text[left:right]


def _candidates(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of every stretch of text a phone number could be in."""
    for candidate in (_CANDIDATE if text.isascii() else _CANDIDATE_ANY_DIGITS).finditer(text):
        start, end = candidate.span()
        if sum(map(str.isdigit, candidate.group())) >= MIN_PHONE_DIGITS and not _glued(text, start, end):
            yield start, end


def _has_phone(text: str) -> bool:
    if "+" in text and _INTERNATIONAL.search(text):
        return True
    for checked, (start, end) in enumerate(_candidates(text)):
        if checked == MAX_CANDIDATES:
            return True  # more number-like runs than any report holds: not worth the risk

        window = _NOT_A_NUMBER.sub(" ", _window(text, start, end))
        if next(_candidates(window), None) is None:
            continue
        for region, leniency in NATIONAL_FORMS:  # each finds international forms too
            if any(True for _ in PhoneNumberMatcher(window, region, leniency=leniency)):
                return True
    return False


def personal_data_in(text: str) -> str | None:
    """What kind of personal data the text holds (EMAIL or PHONE), if any."""
    plain = normalised(text)
    low = plain.lower()
    if ("@" in low or "at" in low) and _has_email(low):
        return EMAIL
    maybe_phone = "0" in plain or "+" in plain or not plain.isascii()
    return PHONE if maybe_phone and _has_phone(plain) else None


def find_personal_data(fields: Iterable[tuple[str, str]]) -> tuple[str, str] | None:
    """(field, what) of the first field that holds personal data."""
    for field, text in fields:
        if (what := personal_data_in(text)) is not None:
            return field, what
    return None


def strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """(path, text) of every string in a value: data.countries[0].code."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from strings(item, f"{path}[{index}]")


def _anywhere(value: Any) -> Iterator[str]:
    """Every string in a value, dictionary keys included (an extension attribute may be anything)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _anywhere(key)
            yield from _anywhere(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _anywhere(item)


def _is_signature(value: object) -> bool:
    signature = Signature.parse(value)
    return signature is not None and len(signature.value) == ED25519_SIGNATURE_BYTES


def event_fields(event: Event) -> Iterator[tuple[str, str]]:
    """Every string an event carries, named as a rejection names it: `data.notes`, `id`,
    `subject`, `extension <name>` (the name itself, which could be the offending text, as
    `extension attribute name`)."""
    yield from strings(event.data.model_dump(exclude_none=True), "data")
    envelope = event.envelope
    for name in ("id", "source", "subject", "datacontenttype", "partitionkey"):
        if isinstance(value := getattr(envelope, name), str):
            yield name, value
    for name, value in (envelope.model_extra or {}).items():
        yield "extension attribute name", name
        if name == SIGNATURE_ATTRIBUTE and _is_signature(value):
            continue  # a key id and 64 signature bytes: never text, though its digits may read as one
        for text in _anywhere(value):
            yield f"extension {name}", text


def find_in_event(event: Event) -> tuple[str, str] | None:
    """(field, what) of the first string in the event that holds personal data."""
    return find_personal_data(event_fields(event))
