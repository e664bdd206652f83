"""The notifier's configuration file: recipients, webhooks and intervals, checked
at start with one line per problem naming the file and the field."""

from __future__ import annotations

import re
from datetime import date, timedelta
from email.headerregistry import Address
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.domain.catalog import TWG_PRIORITY
from shared.events.rejections import field_path, plain_message

SAMPLE = Path(__file__).resolve().parents[2] / "deploy" / "config" / "notifier.yaml"
DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
REFERENCE_GROUP = "reference_group"


class ConfigError(Exception):
    """The configuration is wrong; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def duration(value: Any) -> timedelta:
    """30s, 15m, 2h, 7d, 1w (0 is zero)."""
    if isinstance(value, timedelta):
        return value
    if value == 0 or value == "0":
        return timedelta(0)
    match = DURATION.match(str(value))
    if match is None:
        raise ValueError(f"{value!r} is not a duration like 30s, 15m, 2h, 7d")
    return timedelta(**{UNITS[match[2]]: int(match[1])})


Duration = Annotated[timedelta, BeforeValidator(duration)]


def email_address(value: str) -> str:
    """One plain ASCII address, as the e-mail library reads it: no list, display name or
    comment that would send the message elsewhere."""
    try:
        plain = EMAIL.match(value) and value.isascii() and Address(addr_spec=value).addr_spec == value
    except ValueError:  # the library's own refusals (MessageDefect is a ValueError)
        plain = False
    if not plain:
        raise ValueError(f"{value!r} is not an e-mail address")
    return value


Language = Literal["en", "ru"]


class Recipients(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    email: tuple[str, ...] = ()
    language: Language = "en"  # what the group reads (the meeting pack's language)
    languages: dict[str, Language] = {}  # an address that reads another language

    @field_validator("email")
    @classmethod
    def _addresses(cls, values: tuple[str, ...]) -> tuple[str, ...]:
        for value in values:
            email_address(value)
        return values

    @model_validator(mode="after")
    def _languages_of_listed_addresses(self) -> Recipients:
        unknown = sorted(set(self.languages) - set(self.email))
        if unknown:
            raise ValueError(f"languages: {', '.join(unknown)} not among the addresses in email")
        return self

    def by_language(self) -> dict[str, tuple[str, ...]]:
        """The addresses, grouped by the language each reads."""
        groups: dict[str, list[str]] = {}
        for address in self.email:
            groups.setdefault(self.languages.get(address, self.language), []).append(address)
        return {language: tuple(addresses) for language, addresses in sorted(groups.items())}


class Webhook(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: Annotated[str, Field(pattern=r"^https?://\S+$")]
    format: Literal["json", "slack", "teams"] = "json"
    receivers: tuple[str, ...] = (REFERENCE_GROUP,)


class Digest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    every: Duration = timedelta(days=7)
    to: str = REFERENCE_GROUP


class NotifierConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    sender: Annotated[str, Field(alias="from"), AfterValidator(email_address)] = "monitor@example.org"
    reference_group: Recipients
    twg: dict[str, Recipients] = {}
    webhooks: tuple[Webhook, ...] = ()
    group_wait: Duration = timedelta(seconds=30)
    repeat_interval: Duration = timedelta(days=7)
    digest: Digest | None = Digest()
    # The Reference Group's meeting pack (PDF) is e-mailed this many days before each meeting.
    meetings: tuple[date, ...] = ()
    pack_days_before: Annotated[int, Field(ge=0, le=90)] = 7
    evaluate_every: Duration = timedelta(minutes=15)
    evaluate_on_progress: bool = True

    @field_validator("twg")
    @classmethod
    def _known_groups(cls, groups: dict[str, Recipients]) -> dict[str, Recipients]:
        unknown = sorted(set(groups) - set(TWG_PRIORITY))
        if unknown:
            raise ValueError(
                f"{', '.join(unknown)}: not a Thematic Working Group ({', '.join(TWG_PRIORITY)})"
            )
        return groups

    @field_validator("repeat_interval")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be above 0")
        return value

    @model_validator(mode="after")
    def _receivers_exist(self) -> NotifierConfig:
        known = self.receivers()
        for webhook in self.webhooks:
            for name in webhook.receivers:
                if name not in known:
                    raise ValueError(
                        f"webhook {webhook.url}: receiver {name!r} is not {', '.join(sorted(known))}"
                    )
        if self.digest is not None and self.digest.to not in known:
            raise ValueError(f"digest.to: {self.digest.to!r} is not {', '.join(sorted(known))}")
        return self

    def receivers(self) -> set[str]:
        return {REFERENCE_GROUP, *self.twg}


def load_notifier_config(path: Path | None) -> NotifierConfig:
    """The file's configuration (default: the shipped sample); ConfigError lists every problem."""
    path = path or SAMPLE
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError([f"{path}: cannot be read as YAML ({str(error).splitlines()[0]})"]) from None
    if not isinstance(raw, dict):
        raise ConfigError([f"{path}: must be a mapping of settings"])
    try:
        return NotifierConfig.model_validate(raw)
    except ValidationError as error:
        raise ConfigError([_line(path, e) for e in error.errors()]) from None


def _line(path: Path, error: Any) -> str:
    where = field_path("", tuple(error["loc"])) or "file"
    return f"{path}: {where}: {plain_message(error['msg'])}"
