"""Settings of the intake service."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings


class IntakeSettings(CommonSettings):
    port: int = Field(8001, ge=0, le=65535, description="Port the intake HTTP server listens on")
    intake_group_id: str = Field("cfa-intake", min_length=1, description="Kafka consumer group of intake")
    max_event_bytes: int = Field(
        1024 * 1024,
        ge=1024,
        description="Largest accepted event; larger ones go to the DLQ as schema",
    )
    max_clock_skew_seconds: int = Field(
        300,
        ge=0,
        description="How far in the future an event's time may be before it is date_out_of_range",
    )
    registry_cache_seconds: int = Field(
        60, ge=0, description="How long intake trusts its cached copy of a registry entry"
    )
    rate_per_second: float = Field(
        20.0, gt=0, description="HTTP requests per second allowed to one token, on average (per replica)"
    )
    rate_burst: int = Field(100, ge=1, description="HTTP requests one token may make at once before 429")
    max_batch_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="Largest body of POST /v1/events:batch (each event within CFA_MAX_EVENT_BYTES)",
    )
    max_batch_events: int = Field(1000, ge=1, description="Most events in one POST /v1/events:batch")
    publish_timeout_seconds: float = Field(
        5.0, gt=0, description="How long an HTTP request waits for Kafka before answering 503"
    )
