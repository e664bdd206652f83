"""Settings common to every service (pydantic-settings, prefix CFA_), checked at start."""

from __future__ import annotations

import re
from datetime import UTC
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.clock import Clock, fixed_clock, shifted_clock, utc_now
from shared.domain.review import Basis
from shared.domain.status import Thresholds
from shared.events.rejections import plain_message
from shared.topics import Topics

MIN_TOKEN_CHARS = 32
BOOTSTRAP = re.compile(r"^[\w.\-\[\]:]+:\d{1,5}(,[\w.\-\[\]:]+:\d{1,5})*$")


def _is_file(value: Path) -> Path:
    if not value.is_file():
        raise ValueError(f"{value} is not a file")
    return value


ExistingFile = Annotated[Path, AfterValidator(_is_file)]


class SettingsError(Exception):
    """A setting is wrong; the message is one line naming it and why."""


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CFA_", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        "localhost:9092", description="Kafka bootstrap servers, host:port[,host:port...]"
    )
    mongodb_url: str = Field(
        "mongodb://localhost:27017",
        description="MongoDB connection URL (may carry a user and password: never shown)",
        repr=False,
    )
    mongodb_db: str = Field("cfa", min_length=1, description="MongoDB database name")
    topic_prefix: str = Field(
        "",
        pattern=r"^[A-Za-z0-9._-]*$",
        description="Prefix of every topic name (shared clusters, tests)",
    )
    topic_partitions: int = Field(4, ge=1, le=256, description="Partitions of each topic created at start")
    kafka_session_timeout_ms: int = Field(
        10_000,
        ge=1000,
        description="Consumer group session timeout: how soon a dead member's partitions move",
    )
    kafka_heartbeat_interval_ms: int = Field(3_000, ge=100, description="Consumer heartbeat interval")
    kafka_fetch_max_wait_ms: int = Field(
        200,
        ge=0,
        le=10_000,
        description="Longest a consumer's fetch waits at the broker for new messages; "
        "a floor on latency where the broker holds a fetch of several partitions to the end",
    )
    consumer_max_records: int = Field(500, ge=1, le=10_000, description="Most messages handled in one batch")
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT",
        description="How this service connects to Kafka: PLAINTEXT (the embedded broker), or SASL_SSL "
        "/ SASL_PLAINTEXT with its own SCRAM user (production Kafka with ACLs)",
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-256", "SCRAM-SHA-512"] = Field(
        "SCRAM-SHA-512", description="SASL mechanism when the security protocol is SASL_*"
    )
    kafka_username: str | None = Field(
        None, description="This service's (or cfamon's) Kafka SCRAM user, with SASL_* security protocols"
    )
    kafka_password: SecretStr | None = Field(None, description="That user's password; never logged")
    kafka_project_users: bool = Field(
        False,
        description="`cfamon projects add|token` also create or replace each project's SCRAM user on "
        "Kafka (production Kafka with ACLs; cfamon's own Kafka user needs ALTER on the cluster)",
    )
    kafka_ssl_cafile: ExistingFile | None = Field(
        None, description="CA certificate (PEM) that signed the brokers' certificates, with SSL / SASL_SSL"
    )
    host: str = Field("127.0.0.1", description="Address the HTTP server listens on")
    port: int = Field(8000, ge=0, le=65535, description="Port the HTTP server listens on")
    trusted_proxies: str = Field(
        "",
        description="Addresses of the reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are "
        "believed, comma-separated (none by default: the client is the connection's address)",
    )
    results_framework: ExistingFile | None = Field(
        None,
        description="Results framework YAML used until one is loaded with `cfamon framework load` "
        "(default: deploy/config/results-framework.yaml)",
    )
    config_refresh_seconds: float = Field(
        10.0,
        gt=0,
        description="How often a service looks for a newly loaded results framework or translation",
    )
    operator_token: SecretStr | None = Field(
        None,
        description="Bearer token for operator actions (notifier writes, any project's rejections); "
        "at least 32 characters",
    )
    reader_token: SecretStr | None = Field(
        None, description="Bearer token for reads (status, alerts); at least 32 characters"
    )
    max_body_bytes: int = Field(
        65_536,
        ge=1024,
        description="Largest HTTP request body (JSON of the notifier, the sign-in form); larger ones "
        "get 413 before they are read whole. Intake's events have their own limits",
    )
    cookie_secure: bool = Field(
        False,
        description="The dashboard's sign-in cookie is Secure (sent over HTTPS only): set it when the "
        "aggregator is served over HTTPS, e.g. behind a TLS proxy (a request seen as https sets it too)",
    )
    public_reads: bool = Field(
        False, description="Reads need no token (the `make run` demo); writes still need one"
    )
    shutdown_grace_seconds: float = Field(
        10.0, gt=0, description="How long a stopping service waits for Kafka to take what is pending"
    )
    clock_start: AwareDatetime | None = Field(
        None,
        description='The services\' "now" reads this moment (ISO 8601 with its zone, e.g. '
        "2026-06-30T09:00:00Z) at CFA_CLOCK_ANCHOR and runs on at wall speed: a demo or a replay "
        "as of another day, statuses, alerts and notices included; unset, the wall clock",
    )
    clock_anchor: AwareDatetime | None = Field(
        None,
        description="The wall-clock moment at which the clock reads CFA_CLOCK_START (default: when "
        "the process starts). Give every replica the same one, kept across restarts, so they agree",
    )
    clock_frozen: bool = Field(
        False,
        description="With CFA_CLOCK_START, the clock stands still there (reading one moment; "
        "nothing that waits for time to pass, such as a notice's group_wait, ever comes due)",
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field("INFO", description="Log level")
    log_json: bool = Field(True, description="JSON log lines (false: human-readable console lines)")

    @field_validator("kafka_bootstrap_servers")
    @classmethod
    def _bootstrap(cls, value: str) -> str:
        if not BOOTSTRAP.match(value):
            raise ValueError("must be host:port[,host:port...]")
        return value

    @field_validator("mongodb_url")
    @classmethod
    def _mongo(cls, value: str) -> str:
        if not value.startswith(("mongodb://", "mongodb+srv://")):
            raise ValueError("must start with mongodb:// or mongodb+srv://")
        return value

    @field_validator("operator_token", "reader_token")
    @classmethod
    def _strong_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_CHARS:
            raise ValueError(f"must be at least {MIN_TOKEN_CHARS} characters (random)")
        return value

    @model_validator(mode="after")
    def _kafka_credentials(self) -> CommonSettings:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and (not self.kafka_username or self.kafka_password is None):
            raise ValueError(
                f"CFA_KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "CFA_KAFKA_USERNAME and CFA_KAFKA_PASSWORD"
            )
        return self

    @model_validator(mode="after")
    def _clock_needs_a_start(self) -> CommonSettings:
        if self.clock_frozen and self.clock_start is None:
            raise ValueError("CFA_CLOCK_FROZEN needs CFA_CLOCK_START (the moment it stands at)")
        if self.clock_anchor is not None and self.clock_start is None:
            raise ValueError("CFA_CLOCK_ANCHOR needs CFA_CLOCK_START (what the clock reads then)")
        return self

    @property
    def topics(self) -> Topics:
        return Topics.with_prefix(self.topic_prefix)

    def clock(self) -> Clock:
        """The services' clock: the wall clock, or one started at CFA_CLOCK_START."""
        if self.clock_start is None:
            return utc_now
        start = self.clock_start.astimezone(UTC)  # "today" is the UTC day, as with the wall clock
        if self.clock_frozen:
            return fixed_clock(start)
        return shifted_clock(start, anchor=self.clock_anchor)


class StatusSettings(CommonSettings):
    """The thresholds of the status rules: the aggregator shows statuses, the
    notifier alerts on them, with the same figures."""

    on_track_ratio: float = Field(
        0.9, gt=0, description="progress/expected at or above which an indicator is on track"
    )
    at_risk_ratio: float = Field(
        0.6, gt=0, description="progress/expected at or above which (below on track) it is at risk"
    )
    stale_after_days: int = Field(
        120, ge=1, description="Days without activity after which an action point is stale"
    )
    known_at_settle_seconds: float = Field(
        300,
        gt=0,
        description="A moment asked as known_at less than this long ago is folded for each read, "
        "never kept: an event stored by then may still be on its way into the log",
    )
    figures: Basis = Field(
        Basis.REPORTED,
        description="What the statuses are over unless a read says: every reported figure "
        "(reported), or only those the Secretariat approved (approved); the notifier evaluates on it",
    )

    @model_validator(mode="after")
    def _ratios_ordered(self) -> StatusSettings:
        if self.at_risk_ratio >= self.on_track_ratio:
            raise ValueError("at_risk_ratio must be below on_track_ratio")
        return self

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.on_track_ratio, self.at_risk_ratio, self.stale_after_days)


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S], **overrides: Any) -> S:
    """Settings from the environment (and overrides); SettingsError with one line if bad."""
    try:
        return cls(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as error:
        first = error.errors()[0]
        prefix = str(cls.model_config.get("env_prefix", ""))
        message = plain_message(first["msg"])
        more = f" (+{error.error_count() - 1} more)" if error.error_count() > 1 else ""
        if not first["loc"]:  # a rule across settings
            raise SettingsError(f"bad settings: {message}{more}") from None
        got = first.get("input")
        field = str(first["loc"][0])
        # A secret, or a URL that may carry a password, is never repeated.
        secret = field.endswith(("_token", "_password", "_url", "_key"))
        shown = f" (got {got!r})" if isinstance(got, str | int | float) and not secret else ""
        name = f"{prefix}{field.upper()}"
        raise SettingsError(f"bad setting {name}: {message}{shown}{more}") from None
