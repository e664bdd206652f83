"""Settings of the intake service."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.events.codec import MAX_EVENT_BYTES
from shared.settings import CommonSettings


class IntakeSettings(CommonSettings):
    port: int = Field(8001, ge=0, le=65535, description="Port the intake HTTP server listens on")
    intake_group_id: str = Field("cfa-intake", min_length=1, description="Kafka consumer group of intake")
    max_event_bytes: int = Field(
        MAX_EVENT_BYTES,
        ge=1024,
        description="Largest accepted event; larger ones go to the DLQ as schema",
    )
    max_clock_skew_seconds: int = Field(
        300,
        ge=0,
        description="How far in the future an event's time may be before it is date_out_of_range",
    )
    rate_per_second: float = Field(
        100.0,
        gt=0,
        description="Events per second one project (or the Secretariat) may send over HTTP, on average "
        "(per replica); a batch counts each of its events",
    )
    rate_burst: int = Field(
        2000,
        ge=1,
        description="Events one project may send at once before 429 (at least CFA_MAX_BATCH_EVENTS, so "
        "a full batch can pass)",
    )
    anonymous_rate_per_second: float = Field(
        2.0, gt=0, description="Requests per second one client address may make without a valid credential"
    )
    anonymous_rate_burst: int = Field(
        20, ge=1, description="Requests without a valid credential one address may make at once before 429"
    )
    max_batch_bytes: int = Field(
        8 * 1024 * 1024,
        ge=1024,
        description="Largest body of POST /v1/events:batch (each event within CFA_MAX_EVENT_BYTES)",
    )
    max_batch_events: int = Field(1000, ge=1, description="Most events in one POST /v1/events:batch")
    publish_timeout_seconds: float = Field(
        5.0, gt=0, description="How long an HTTP request waits for Kafka before answering 503"
    )

    @model_validator(mode="after")
    def _batch_fits_burst(self) -> IntakeSettings:
        if self.rate_burst < self.max_batch_events:
            raise ValueError(
                f"CFA_RATE_BURST ({self.rate_burst}) must be at least CFA_MAX_BATCH_EVENTS "
                f"({self.max_batch_events}): a full batch could never pass"
            )
        return self
