"""The notifier's file: durations, receivers, and one line per problem naming the field."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from services.notifier.config import ConfigError, duration, load_notifier_config


def test_the_shipped_sample_loads() -> None:
    config = load_notifier_config(None)
    assert config.group_wait == timedelta(seconds=30) and config.repeat_interval == timedelta(days=7)
    assert config.receivers() == {
        "reference_group",
        "law_enforcement",
        "legal_pathways",
        "return_reintegration",
    }


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("7d", timedelta(days=7)),
        ("0", timedelta(0)),
        (0, timedelta(0)),
    ],
)
def test_durations(text: str | int, expected: timedelta) -> None:
    assert duration(text) == expected


def test_every_problem_is_one_line_naming_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "notifier.yaml"
    path.write_text(
        "reference_group: {email: [not-an-address]}\n"
        "twg: {choir: {email: [a@b.org]}}\n"
        "group_wait: soon\n"
        "webhooks: [{url: 'ftp://x', receivers: [reference_group]}]\n"
        "colour: blue\n"
    )
    with pytest.raises(ConfigError) as error:
        load_notifier_config(path)
    problems = error.value.problems
    assert all(p.startswith(f"{path}: ") and "\n" not in p for p in problems)
    text = "\n".join(problems)
    for where in ("reference_group.email", "twg", "group_wait", "webhooks[0].url", "colour"):
        assert f": {where}: " in text, text


def test_a_webhook_receiver_must_exist(tmp_path: Path) -> None:
    path = tmp_path / "notifier.yaml"
    path.write_text(
        "reference_group: {email: [a@b.org]}\nwebhooks: [{url: 'https://x', receivers: [legal_pathways]}]\n"
    )
    with pytest.raises(ConfigError, match="receiver 'legal_pathways'"):
        load_notifier_config(path)


@pytest.mark.parametrize(
    "address",
    [
        "a,intruder@evil.example",  # a list: the message would go to both
        "Boss <intruder@evil.example>",
        "a;b@test.example",
        "a..b@test.example",
        "lé@test.example",  # SMTPUTF8 is not used
        '"a b"@test.example',
    ],
)
def test_an_address_the_mail_library_would_not_take_as_one_plain_address_fails_at_start(
    tmp_path: Path, address: str
) -> None:
    path = tmp_path / "notifier.yaml"
    as_recipient = f"reference_group: {{email: ['{address}']}}\n"
    as_sender = f"from: '{address}'\nreference_group: {{email: [rg@test.example]}}\n"
    for text, where in ((as_recipient, "reference_group.email"), (as_sender, "from")):
        path.write_text(text)
        with pytest.raises(ConfigError) as error:
            load_notifier_config(path)
        assert f": {where}: " in str(error.value) and "is not an e-mail address" in str(error.value)


def test_meetings_and_the_languages_recipients_read(tmp_path: Path) -> None:
    path = tmp_path / "notifier.yaml"
    path.write_text(
        "reference_group:\n"
        "  email: [a@b.org, c@d.org]\n"
        "  languages: {c@d.org: ru}\n"
        "meetings: [2026-07-05]\n"
        "pack_days_before: 10\n"
    )
    config = load_notifier_config(path)
    assert config.reference_group.by_language() == {"en": ("a@b.org",), "ru": ("c@d.org",)}
    assert (config.meetings, config.pack_days_before) == ((date(2026, 7, 5),), 10)
    path.write_text(
        "reference_group: {email: [a@b.org], language: de, languages: {x@y.org: ru}}\n"
        "meetings: [someday]\n"
        "pack_days_before: -1\n"
    )
    with pytest.raises(ConfigError) as error:
        load_notifier_config(path)
    text = "\n".join(error.value.problems)
    for where in ("reference_group.language", "meetings[0]", "pack_days_before"):
        assert f": {where}: " in text, text
