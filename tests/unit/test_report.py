"""The meeting pack from real-looking facts: the workbook opened back, with its figures
equal to the read model's; the PDF's text read back."""

from __future__ import annotations

import asyncio
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from services.report.pack import MeetingPack, meeting_pack
from services.report.pdf import document
from services.report.routes import Packs
from services.report.xlsx import workbook
from shared.domain import catalog
from shared.domain.changes import what_moved
from shared.domain.factset import FactSet
from shared.domain.readmodel import build_read_model
from shared.domain.status import Thresholds
from shared.events.models import EventType
from tests.factories import registration_data
from tests.readmodel_facts import FRAMEWORK, PID, T0, base_facts, fact

AS_OF = date(2026, 7, 1)
MADE = datetime(2026, 7, 1, 9, tzinfo=UTC)
ALERTS = [{"severity": "critical", "summary": "Priority 3 is behind", "starts_at": MADE - timedelta(days=2)}]


@pytest.fixture(scope="module")
def pack() -> MeetingPack:
    return seeded_pack()


def seeded_pack() -> MeetingPack:
    """The pack of the unit seed, with what moved since the third fact and an alert."""
    facts = base_facts()
    before = build_read_model(FactSet(facts[:3]), FRAMEWORK, AS_OF, Thresholds())
    live = FactSet(facts)
    model = build_read_model(live, FRAMEWORK, AS_OF, Thresholds())
    since = T0 + timedelta(minutes=2, seconds=30)
    return meeting_pack(model, FRAMEWORK, live.indexes.series, MADE, ALERTS, since, what_moved(before, model))


def test_the_workbook_has_one_sheet_per_part_with_real_numbers(pack: MeetingPack) -> None:
    book = load_workbook(io.BytesIO(workbook(pack)))
    assert book.sheetnames == [
        "Cover",
        "Priorities",
        "Action points",
        "Indicators",
        "Changes",
        "Silent projects",
        "Countries",
        "Participants",
        "Alerts",
    ]
    priorities = list(book["Priorities"].iter_rows(min_row=2, values_only=True))
    assert [row[0] for row in priorities] == [1, 2, 3, 4, 5, 6]
    assert priorities[2][2] == "behind" and "≥ one third" in priorities[2][3]
    [indicator] = [r for r in book["Indicators"].iter_rows(min_row=2, values_only=True)]
    assert indicator[1] == "ind-3.1-returnees-supported"
    assert indicator[4] == 320 and isinstance(indicator[4], int | float)  # a number, not text
    assert indicator[7] == datetime(2026, 12, 31)  # a date cell
    changes = {r[1]: r for r in book["Changes"].iter_rows(min_row=2, values_only=True)}
    assert changes["ind-3.1-returnees-supported"][5:7] == (None, 320)  # nothing measured then
    assert next(book["Silent projects"].iter_rows(min_row=2, values_only=True))[0] == PID
    assert list(book["Participants"].iter_rows(min_row=2, values_only=True)) == [(48, 18, 30, 0)]
    [pakistan] = [r for r in book["Countries"].iter_rows(min_row=2, values_only=True) if r[0] == "PAK"]
    assert pakistan[4:8] == (2, 2, 0, 0)  # two activities, both with Pakistan as the origin
    assert next(book["Alerts"].iter_rows(min_row=2, values_only=True))[:2] == (
        "critical",
        "Priority 3 is behind",
    )


def test_the_pdf_reads_back_with_the_priorities_and_figures(pack: MeetingPack) -> None:
    pdf = document(pack)
    reader = PdfReader(io.BytesIO(pdf))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert reader.metadata is not None and reader.metadata.title.startswith(
        "Budapest Process Call for Action"
    )
    for priority in catalog.priorities():
        assert priority.title[:40] in " ".join(text.split())
    flat = " ".join(text.split())
    assert "Figures as of 1 July 2026" in flat and "Returnees supported: actual 320" in flat
    assert "ratio 0.43 < 0.60" in flat and "What moved since" in flat and "Priority 3 is behind" in flat
    assert len(reader.pages) >= 3
    assert "Pakistan (PAK) 1 2 2 0 0 48" in flat  # projects, activities, origin, transit, destination


def test_the_pdf_in_russian(pack: MeetingPack) -> None:
    reader = PdfReader(io.BytesIO(document(pack, "ru")))
    flat = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Шесть приоритетов" in flat and "Данные на 1 июля 2026" in flat
    assert "Returnees supported: факт 320" in flat and "Отставание" in flat  # behind, in Russian
    assert "отношение 0.43 < 0.60: пройдено 32% пути, ожидалось 75%" in flat  # and why, in Russian
    assert "официальный перевод не загружен" in flat  # the Call for Action's texts stay in English, marked
    assert catalog.priorities()[2].title[:30] in flat


def test_the_workbook_in_russian_keeps_its_numbers(pack: MeetingPack) -> None:
    book = load_workbook(io.BytesIO(workbook(pack, "ru")))
    assert book.sheetnames[:4] == ["Титул", "Приоритеты", "Пункты действий", "Показатели"]
    [indicator] = list(book["Показатели"].iter_rows(min_row=2, values_only=True))
    assert indicator[4] == 320 and indicator[9] == "отставание"
    assert indicator[10] == "отношение 0.43 < 0.60: пройдено 32% пути, ожидалось 75%"
    cover = [str(cell) for row in book["Титул"].iter_rows(values_only=True) for cell in row if cell]
    assert any("официальный перевод не загружен" in text for text in cover)  # its texts: English, marked


def test_a_hostile_title_is_text_in_the_pdf_and_the_workbook() -> None:
    """Markup would break or steer the PDF (reportlab reads <img src> and fetches it); a text
    starting with "=" would be a formula in a spreadsheet."""
    hostile = 'R&D; <b>x <img src="http://127.0.0.1:9/x.png"/> =HYPERLINK("http://evil.example","y")'
    registration = {**registration_data(PID), "title": hostile}
    facts = [fact(EventType.PROJECT_REGISTERED, registration, 0, "r1"), *base_facts()[1:]]
    live = FactSet(facts)
    model = build_read_model(live, FRAMEWORK, date(2027, 1, 1), Thresholds())  # silent by then
    made = meeting_pack(model, FRAMEWORK, live.indexes.series, MADE)
    flat = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(document(made))).pages).split())
    assert 'R&D; <b>x <img src="http://127.0.0.1:9/x.png"/>' in flat
    formula = {**registration, "title": '=HYPERLINK("http://evil.example","y")'}
    facts[0] = fact(EventType.PROJECT_REGISTERED, formula, 0, "r1")
    live = FactSet(facts)
    model = build_read_model(live, FRAMEWORK, date(2027, 1, 1), Thresholds())
    book = load_workbook(io.BytesIO(workbook(meeting_pack(model, FRAMEWORK, live.indexes.series, MADE))))
    [silent] = list(book["Silent projects"].iter_rows(min_row=2))
    assert silent[1].value == '=HYPERLINK("http://evil.example","y")' and silent[1].data_type == "s"


def test_moments_in_the_workbook_are_in_utc(pack: MeetingPack) -> None:
    east = pack.made_at.astimezone(timezone(timedelta(hours=2)))
    book = load_workbook(io.BytesIO(workbook(replace(pack, made_at=east))))
    made = {r[0]: r[1] for r in book["Cover"].iter_rows(values_only=True)}["Made at (UTC)"]
    assert made == datetime(2026, 7, 1, 9)


async def test_a_pack_asked_again_or_at_once_is_made_once() -> None:
    packs, made = Packs(kept=2), []

    async def make() -> bytes:
        made.append(1)
        await asyncio.sleep(0.01)
        return b"%PDF"

    first, second = await asyncio.gather(packs.get(("pdf", 1), make), packs.get(("pdf", 1), make))
    assert first == second == b"%PDF" and len(made) == 1
    await packs.get(("pdf", 2), make)
    await packs.get(("pdf", 3), make)  # the oldest kept is dropped
    await packs.get(("pdf", 1), make)
    assert len(made) == 4
