"""The meeting pack by e-mail on the real servers: the Reference Group's members receive it
before the meeting, each in the language they read, the PDF attached, once, across a
notifier restart."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from shared.stack import StackEndpoints
from tests.factories import NOW
from tests.integration.helpers import eventually
from tests.integration.notifier_world import Hook, running_notifier

pytestmark = pytest.mark.integration
MEETING = (NOW + timedelta(days=3)).date()
MORE = (
    "reference_group: {email: [rg@test.example, ru@test.example], languages: {ru@test.example: ru}}\n"
    f"meetings: [{MEETING.isoformat()}]\n"
    "pack_days_before: 7\n"
)


def packs(messages: list[Any]) -> list[Any]:
    return [m for m in messages if m.get_content_type() == "multipart/mixed"]


async def sent(sink: Any, count: int) -> None:
    async def all_there() -> bool:
        return len(packs(sink.messages)) == count

    await eventually(all_there, what=f"the meeting pack to {count} members")


def pdf_text(message: Any) -> str:
    parsed = BytesParser(policy=policy.default).parsebytes(message.as_bytes())
    [attached] = list(parsed.iter_attachments())
    assert attached.get_content_type() == "application/pdf"
    return " ".join(
        " ".join(p.extract_text() for p in PdfReader(io.BytesIO(attached.get_content())).pages).split()
    )


async def test_the_pack_reaches_each_member_in_their_language_once_across_a_restart(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    async for notifier in running_notifier(stack, isolation, tmp_path, Hook(), more_config=MORE):
        await sent(notifier.smtp, 2)
        english, russian = sorted(packs(notifier.smtp.messages), key=lambda m: str(m["To"]))
        assert (str(english["To"]), str(russian["To"])) == ("rg@test.example", "ru@test.example")
        assert "Meeting pack for the meeting of" in str(english["Subject"])
        assert "Материалы к заседанию" in str(russian["Subject"])
        assert "The six priorities" in pdf_text(english) and "Шесть приоритетов" in pdf_text(russian)
    (tmp_path / "again").mkdir()
    async for again in running_notifier(stack, isolation, tmp_path / "again", Hook(), more_config=MORE):
        # Past the first replica's lease, the restarted one holds it: it would send, were the
        # pack not recorded as sent.
        again.clock.advance(seconds=again.settings.notifier_lease_seconds + 1)
        assert await again.evaluator.evaluate() is not None  # it holds the lease now
        assert await again.evaluator.meeting_packs() == 0
        await asyncio.sleep(1)  # ten more ticks of the restarted notifier
        assert packs(again.smtp.messages) == []  # sent once: the restart sends nothing again
