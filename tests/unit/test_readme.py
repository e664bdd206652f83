"""The README tells the truth: its settings, make targets and commands all exist."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from services.aggregator.settings import AggregatorSettings
from services.cli.main import app
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from shared.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text()
CLASSES = (CommonSettings, IntakeSettings, AggregatorSettings, NotifierSettings)
SETTINGS = {f"CFA_{name.upper()}" for cls in CLASSES for name in cls.model_fields}


def test_every_setting_named_exists_and_every_setting_is_named() -> None:
    named = set(re.findall(r"\bCFA_[A-Z_]+[A-Z]\b", README)) - {
        "CFA_TEST_KAFKA_BOOTSTRAP_SERVERS",
        "CFA_TEST_MONGODB_URL",
    }
    assert named - SETTINGS == set()
    assert SETTINGS - named == set()


def test_every_make_target_named_exists() -> None:
    targets = set(re.findall(r"^([a-z-]+):", (ROOT / "Makefile").read_text(), re.MULTILINE))
    assert set(re.findall(r"`make ([a-z-]+)", README)) | {"run", "test"} <= targets


def test_every_cfamon_command_named_exists() -> None:
    group = typer.main.get_command(app)
    for words in re.findall(r"(?:`|bin/)cfamon ((?:[a-z]+ ?)+)", README):
        command = group
        for word in words.split():
            if not hasattr(command, "commands") or word not in command.commands:
                break
            command = command.commands[word]
        assert command is not group, f"cfamon {words.strip()}"
