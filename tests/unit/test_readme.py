"""The README tells the truth: its settings, make targets and commands all exist."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import typer.main

from services.aggregator.settings import AggregatorSettings
from services.cli.main import app
from services.intake.pipeline import Accepted, IntakePipeline
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from shared.clock import utc_now
from shared.domain.projects import Credentials
from shared.events.codec import KafkaRecord
from shared.settings import CommonSettings
from shared.trust import Principal
from tests.factories import registered
from tests.fakes import KEYS, FakeDirectory, FakeSeenStore

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


async def test_the_readmes_signing_recipe_makes_an_event_intake_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Python example of "Reporting events", run as written (beside a credentials file as
    `cfamon projects add` writes it): intake takes the message as the project's own."""
    code = README.split("## Reporting events", 1)[1].split("```python\n", 1)[1].split("```", 1)[0]
    credentials = Credentials.issue("PK-REINT-01")
    (tmp_path / "PK-REINT-01.credentials.json").write_text(credentials.to_json())
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    message = namespace["message"]
    project = registered(
        "PK-REINT-01",
        action_points=("3.1", "3.2"),
        signing_key=credentials.signing_key.public_b64,
        signing_key_id=credentials.signing_key.key_id,
    )
    pipeline = IntakePipeline(
        FakeDirectory(project), FakeSeenStore(), utc_now, 1 << 20, timedelta(minutes=5), KEYS
    )
    key = message.key.encode() if isinstance(message.key, str) else message.key
    record = KafkaRecord("raw", 0, 0, key, message.value, tuple(message.headers.items()))
    [outcome] = await pipeline.process([record])
    assert isinstance(outcome, Accepted), outcome
    assert outcome.principal == Principal("PK-REINT-01")
