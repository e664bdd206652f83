"""Personal data in event text: what is found, and what must not be mistaken for it."""

from __future__ import annotations

import base64
import unicodedata
import uuid
from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.domain import personal_data
from shared.domain.personal_data import EMAIL, PHONE, normalised, personal_data_in

EMAILS = [
    "write to someone@example.org",
    "M.Rahman@ngo.org.pk reported",
    "a.b@example.org",
    "focal point: name @ domain.org",
    "name [at] domain [dot] org",
    "name(at)domain.org",
    "name (at) domain (dot) org",
    "NAME [AT] DOMAIN [DOT] ORG",
    "name{at}domain{dot}org",
    "name <at> ministry <dot> gov <dot> pk",
    "name at domain dot org",
    "write to ayesha dot khan at ministry dot gov dot pk",
    "name at mail.domain dot org",
    "name@domain dot org",
    "name[@]domain[.]org",
    "name＠domain.org",  # full-width commercial at
    "ｎａｍｅ＠ｄｏｍａｉｎ．ｏｒｇ",  # full-width throughout
    "name﹫domain.org",  # small commercial at
    "na\u200bme@dom\u200cain.o\u200drg",  # zero-width space, non-joiner, joiner
    "name\u2060@\ufeffdomain.org",  # word joiner, BOM
    "name@do\u00admain.org",  # soft hyphen
    "name\u202e@domain.org",  # a bidi override between the parts
    "mailto:x@y.org",
    "айша@министерство.рф",
]
NOT_EMAILS = [
    "look at the data",
    "Results are published at www.budapestprocess.org",
    "available at budapestprocess.org from March",
    "We met at the ministry. Then we left",
    "training at 10.30 in room 4",
    "look at the data dot by dot",
    "20 kits @ 35 EUR each",
    "follow @ICMPD for updates",
    "whole_of_route, human_rights",
    "Action points 3.1 and 3.2 (at least)",
    "at home, at work, at school",
    "targets met at 95.5 per cent",
]
PHONES = [
    "call +44 20 7946 0958",
    "call 0044 20 7946 0958 today",
    "+92 300 1234567",
    "Office (030) 1234 5678, ask for the desk",
    "call 0092-51-9201234",
    "ring 030 1234 5678",
    "PK mobile 0300 1234567",
    "0300-1234567",
    "tel:+923001234567",
    "Tel.: 0300 1234567",
    "+93 70 123 4567",  # Afghanistan
    "+98 912 345 6789",  # Iran
    "+880 1712 345678",  # Bangladesh
    "+964 770 123 4567",  # Iraq
    "+90 532 123 45 67",  # Turkey
    "0532 123 45 67",
    "0912 345 6789",
    "020 7946 0958",
    "06 12 34 56 78",
    "+33 6 12 34 56 78",
    "03001234567",
    "0300 1234567x12",
    "06.12.34.56.78",
    "+44 (0)20 7946 0958",
    "(+92) 300-1234567",
    "030/1234567",
    "Contact +34 370 4931421 for the list",  # not a valid Spanish number, but written as a number
    "+1 (555) 123-4567",
    "+92\u200b300\u200b1234567",  # zero-width spaces between the groups
    "+92 300 123\u00ad4567",  # soft hyphen
    "＋９２ ３００ １２３４５６７",  # full-width digits
    "+٩٢ ٣٠٠ ١٢٣٤٥٦٧",  # Arabic-Indic digits
    "۰۳۰۰ ۱۲۳۴۵۶۷",  # Extended Arabic-Indic (Persian, Urdu) digits
]
NOT_PHONES = [
    "2025-01-01",
    "between 2025-01-01 and 2025-06-30",
    "Trained 1200 officers",
    "1200 officers",
    "2,400",
    "2,400 returnees in 2026",
    "2025-2030",
    "periods 2025-2030 and 2026-2027",
    "2025–2030",
    "(2025-2027)",
    "PAK, AFG, IRN",
    "ISO 3166-1 alpha-3",
    "ISO 8601",
    "Budget 1 250 000 EUR",
    "EUR 12 500 000",
    "EUR 1.250.000",
    "12,345,678 people reached",
    "Action points 3.1 and 3.2; 45 participants, 20 women",
    "Reference ICMPD-2025-000123 (phase 2)",
    "Session 10:30-12:00, room 204",
    "Regulation (EU) 2021/947",
    "Contract No. 2021/428-123",
    "01.01.2025 - 31.12.2027",
    "02.03.2026",
    "02-03-2026",
    "2/3/2026",
    "33.6844, 73.0479",
    "ISBN 978-3-16-148410-0",
    "24 participants: 9 women, 15 men",
    "from 2025 to 2030, 3 rounds of 120",
    "Q1 2026: 1200",
    "XM-DAC-41114-PROJECT-00123456",
    "act-2026-0042",
    "ind-3.1-returnees-supported",
    "PK-REINT-01",
    "A-2026-03-001",
    "550e8400-e29b-41d4-a716-446655440000",
    "86ac003f-0832-4314-bfbc-16373f05f22b",  # a UUID whose groups are a valid Iranian number
    "0a29a999-cce4-4e53-bc7f-923041824824",
    "Held on 08.01.2020 in Islamabad",  # a valid Bangladeshi number, read as digits
    "from 08.11.2028 - 30.01.2021",
    "0.9445010 of the target",
    "ratio 7.0268671",
    "68.0160, 56.1647",
    "EUR 8 000 000 000",
    "between 390.000.000 and 9 000 000 000",
    "8 000 000-370'000'000 people",
    "B-022879608",
    "+2,400 returnees compared with 2025",
    "an increase of +1 250 000 EUR",
    "+12.5% on 2025",
    "+33.6844, +73.0479",
]


@pytest.mark.parametrize("text", EMAILS)
def test_e_mail_addresses_and_their_disguises(text: str) -> None:
    assert personal_data_in(text) == EMAIL


@pytest.mark.parametrize("text", NOT_EMAILS + NOT_PHONES)
def test_ordinary_text_is_not_personal_data(text: str) -> None:
    assert personal_data_in(text) is None


@pytest.mark.parametrize("text", PHONES)
def test_phone_numbers(text: str) -> None:
    assert personal_data_in(text) == PHONE


def test_a_bare_number_with_a_trunk_prefix_is_taken_for_a_phone_number() -> None:
    """The price of finding "03001234567": a zero-padded code that is a valid number is refused."""
    assert personal_data_in("batch 022879608") == PHONE


DAYS = st.dates(date(1990, 1, 1), date(2040, 12, 31))
DATE_FORMATS = st.sampled_from(
    ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d-%m-%Y", "%m/%d/%Y", "%Y%m%d", "%d.%m.%y"]
)
NUMBERS = st.one_of(
    st.builds(lambda day, fmt: day.strftime(fmt), DAYS, DATE_FORMATS),
    st.builds(lambda a, b, fmt: f"{a.strftime(fmt)} - {b.strftime(fmt)}", DAYS, DAYS, DATE_FORMATS),
    st.builds(lambda a, b: f"{a}-{b}", st.integers(1990, 2040), st.integers(1990, 2040)),
    st.builds(
        lambda n, sep: f"{n:,}".replace(",", sep),
        st.integers(0, 10**13),
        st.sampled_from([",", " ", ".", "'"]),
    ),
    st.builds(lambda x: f"{x:.7f}", st.floats(0, 1000)),
    st.builds(lambda a, b: f"{a:.4f}, {b:.4f}", st.floats(-90, 90), st.floats(-180, 180)),
    st.builds(lambda n: f"ICMPD-{n // 10**6}-{n % 10**6:06d}", st.integers(2015 * 10**6, 2031 * 10**6)),
)


@settings(max_examples=1000)
@given(NUMBERS, st.sampled_from(["{} officers", "held {} in Lahore", "({})", "{}"]))
def test_numbers_in_ordinary_text_are_not_phone_numbers(number: str, sentence: str) -> None:
    assert personal_data_in(sentence.format(number)) is None


def test_normalisation_removes_every_format_character() -> None:
    format_chars = [chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) == "Cf"]
    assert normalised("a" + "".join(format_chars) + "b") == "ab"


def test_normalisation_is_nfkc() -> None:
    assert normalised("ｎａｍｅ＠ｄｏｍａｉｎ．ｏｒｇ") == "name@domain.org"
    assert normalised("＋９２") == "+92"


BASE64URL = st.binary(min_size=64, max_size=64).map(
    lambda raw: base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
)


@settings(max_examples=2000)
@given(BASE64URL)
def test_a_signature_is_neither(signature: str) -> None:
    assert len(signature) == 86
    assert personal_data_in(signature) is None
    assert personal_data_in(f"0f3c2a91b4d57e68.{signature}") is None  # as cfasignature carries it


@settings(max_examples=2000)
@given(st.uuids())
def test_a_uuid_is_neither(value: uuid.UUID) -> None:
    assert personal_data_in(str(value)) is None
    assert personal_data_in(value.hex) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+92 300 1234567 " + "ordinary words " * 60, PHONE),  # long text
        ("ordinary words " * 60 + "name [at] domain [dot] org", EMAIL),
        ("Reached 2026-03-02 " * 40 + "call 0300 1234567", PHONE),
    ],
)
def test_found_anywhere_in_long_text(text: str, expected: str) -> None:
    assert personal_data_in(text) == expected


@pytest.mark.parametrize("unit", ["0000000;;;;;", "0300123;", "9" * 7 + "x" * 5, "0" * 7 + "-" * 5])
def test_a_hostile_string_costs_a_bounded_number_of_matcher_runs(
    unit: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No text makes the scan grow faster than its length: at most MAX_CANDIDATES candidates
    go to the matcher, each in a window of bounded size (it was quadratic: seconds a field)."""
    real = personal_data.PhoneNumberMatcher
    runs: list[int] = []

    def counting(text: str, region: str, leniency: int) -> object:
        runs.append(len(text))
        return real(text, region, leniency=leniency)

    monkeypatch.setattr(personal_data, "PhoneNumberMatcher", counting)
    personal_data_in(unit * 20_000)
    assert len(runs) <= personal_data.MAX_CANDIDATES * len(personal_data.NATIONAL_FORMS)
    assert max(runs, default=0) <= 2 * (personal_data._MARGIN + personal_data._WORD) + 64
