"""Settings: CFA_ environment, every field described, one clear line when bad."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.aggregator.settings import AggregatorSettings
from services.intake.settings import IntakeSettings
from services.notifier.settings import NotifierSettings
from shared.clock import shifted_clock, utc_now
from shared.settings import CommonSettings, SettingsError, load_settings

ALL = [CommonSettings, IntakeSettings, AggregatorSettings, NotifierSettings]


@pytest.mark.parametrize("cls", ALL)
def test_every_field_is_described(cls: type[CommonSettings]) -> None:
    undocumented = [name for name, f in cls.model_fields.items() if not f.description]
    assert undocumented == []


def test_defaults_of_the_design(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CFA_KAFKA_BOOTSTRAP_SERVERS", "CFA_MONGODB_URL", "CFA_MONGODB_DB", "CFA_PORT"):
        monkeypatch.delenv(name, raising=False)
    s = load_settings(IntakeSettings)
    assert (s.kafka_bootstrap_servers, s.mongodb_url, s.mongodb_db) == (
        "localhost:9092",
        "mongodb://localhost:27017",
        "cfa",
    )
    assert (s.port, load_settings(AggregatorSettings).port, load_settings(NotifierSettings).port) == (
        8001,
        8002,
        8003,
    )
    assert s.topics.raw == "bp.events.raw"


def test_environment_is_read_with_the_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFA_KAFKA_BOOTSTRAP_SERVERS", "kafka-1:9092,kafka-2:9092")
    monkeypatch.setenv("CFA_TOPIC_PREFIX", "staging.")
    s = load_settings(CommonSettings)
    assert s.kafka_bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert s.topics.dlq == "staging.bp.events.dlq"


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("CFA_KAFKA_BOOTSTRAP_SERVERS", "not a host", "CFA_KAFKA_BOOTSTRAP_SERVERS: must be host:port"),
        ("CFA_MONGODB_URL", "postgres://x", "CFA_MONGODB_URL: must start with mongodb://"),
        ("CFA_TOPIC_PARTITIONS", "0", "CFA_TOPIC_PARTITIONS: Input should be greater than or equal to 1"),
        ("CFA_LOG_LEVEL", "LOUD", "CFA_LOG_LEVEL: Input should be"),
        ("CFA_SMTP_URL", "mail.example.org", "CFA_SMTP_URL: must be smtp://"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(NotifierSettings)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("bad setting ") and words in message


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("CFA_MONGODB_URL", "postgres://admin:hunter2-secret@db"),
        ("CFA_OPERATOR_TOKEN", "hunter2-secret"),
        ("CFA_READER_TOKEN", "hunter2-too-short"),
    ],
)
def test_a_bad_secret_or_url_is_never_repeated(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: object
) -> None:
    monkeypatch.setenv(variable, str(value))
    with pytest.raises(SettingsError) as caught:
        load_settings(CommonSettings)
    assert variable in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_sasl_needs_a_user_and_a_password() -> None:
    with pytest.raises(SettingsError) as caught:
        load_settings(CommonSettings, kafka_security_protocol="SASL_SSL")
    assert "CFA_KAFKA_USERNAME and CFA_KAFKA_PASSWORD" in str(caught.value)


def test_the_clock_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert CommonSettings().clock() is utc_now
    monkeypatch.setenv("CFA_CLOCK_START", "2026-06-30T09:00:00Z")
    shifted = load_settings(CommonSettings).clock()
    assert abs(shifted() - datetime(2026, 6, 30, 9, tzinfo=UTC)) < timedelta(minutes=1)
    monkeypatch.setenv("CFA_CLOCK_FROZEN", "true")
    assert load_settings(CommonSettings).clock()() == datetime(2026, 6, 30, 9, tzinfo=UTC)
    monkeypatch.setenv("CFA_CLOCK_START", "2026-06-30T09:00:00")  # no zone: which moment is it?
    with pytest.raises(SettingsError, match="CFA_CLOCK_START"):
        load_settings(CommonSettings)
    monkeypatch.delenv("CFA_CLOCK_START")
    with pytest.raises(SettingsError, match="CFA_CLOCK_FROZEN needs CFA_CLOCK_START"):
        load_settings(CommonSettings)


def test_a_shifted_clock_runs_at_the_pace_of_the_wall() -> None:
    wall = [datetime(2026, 12, 2, 8, tzinfo=UTC)]
    clock = shifted_clock(datetime(2026, 6, 30, 9, tzinfo=UTC), wall=lambda: wall[0])
    assert clock() == datetime(2026, 6, 30, 9, tzinfo=UTC)
    wall[0] += timedelta(hours=2)
    assert clock() == datetime(2026, 6, 30, 11, tzinfo=UTC)
    # Anchored: a replica started (or restarted) later agrees with the first one.
    anchor = datetime(2026, 12, 2, 8, tzinfo=UTC)
    later = shifted_clock(datetime(2026, 6, 30, 9, tzinfo=UTC), anchor, wall=lambda: wall[0])
    assert later() == clock()


def test_a_clock_start_in_another_zone_is_a_utc_day(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CFA_CLOCK_START", "2026-06-30T23:30:00-05:00")
    monkeypatch.setenv("CFA_CLOCK_FROZEN", "true")
    assert load_settings(CommonSettings).clock()() == datetime(2026, 7, 1, 4, 30, tzinfo=UTC)
    monkeypatch.delenv("CFA_CLOCK_START")
    monkeypatch.delenv("CFA_CLOCK_FROZEN")
    monkeypatch.setenv("CFA_CLOCK_ANCHOR", "2026-12-02T08:00:00Z")
    with pytest.raises(SettingsError, match="CFA_CLOCK_ANCHOR needs CFA_CLOCK_START"):
        load_settings(CommonSettings)
