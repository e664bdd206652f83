"""What the notifier's API answers and takes: alerts with their failed notifications,
silences, acknowledgements."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from services.notifier.lifecycle import AlertState, Silence, SilenceState
from services.notifier.rules import AlertKind
from shared.isodate import IsoDateTime


class DeliveryFailure(BaseModel):
    """A notification of the alert that did not get through: failed for good (not retried),
    or retrying after a transient error (receiver down, 5xx, SMTP 4xx). Where it went and
    what the receiver answered are shown to the operator token only."""

    channel: str
    receiver: str
    target: str | None = Field(description="The webhook URL or e-mail addresses (operator token only)")
    error: str | None = Field(description="What went wrong, as the receiver said (operator token only)")
    status: Literal["failed", "retrying"]
    attempts: int
    next_attempt_at: datetime | None = Field(None, description="When a retrying one is tried next")


class AlertView(BaseModel):
    fingerprint: str
    kind: AlertKind
    subject: str
    severity: str
    state: AlertState
    summary: str
    priorities: list[int]
    starts_at: datetime
    ends_at: datetime | None
    receivers: list[str]
    annotations: dict[str, object]
    notices: int
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    delivery_failures: list[DeliveryFailure]


class SilenceView(Silence):
    state: SilenceState


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    by: Annotated[str, Field(min_length=1, max_length=100)]
    comment: Annotated[str, Field(max_length=1000)] = ""


MAX_SILENCE = timedelta(days=3653)  # ten years: longer than the whole implementation period
Pattern = Annotated[str, Field(max_length=200)]


class NewSilence(BaseModel):
    """A silence ends at `ends_at` or after `duration` seconds: exactly one of the two."""

    model_config = ConfigDict(
        extra="forbid",  # a misspelt field is an error, not a silence that lasts the default
        json_schema_extra={"oneOf": [{"required": ["ends_at"]}, {"required": ["duration"]}]},
    )

    matchers: dict[Literal["kind", "subject", "severity", "fingerprint", "priority"], Pattern] = Field(
        min_length=1
    )
    starts_at: IsoDateTime | SkipJsonSchema[None] = Field(None, description="Default: now")
    ends_at: IsoDateTime | SkipJsonSchema[None] = None
    duration: Annotated[int, Field(gt=0, le=MAX_SILENCE // timedelta(seconds=1))] | SkipJsonSchema[None] = (
        Field(None, description="Seconds, instead of ends_at")
    )
    author: Annotated[str, Field(min_length=1, max_length=100)]
    comment: Annotated[str, Field(min_length=1, max_length=1000)]

    @field_validator("starts_at", "ends_at", "duration", mode="before")
    @classmethod
    def _left_out_not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("leave it out instead of null")
        return value

    @model_validator(mode="after")
    def _one_end(self) -> NewSilence:
        if (self.ends_at is None) == (self.duration is None):
            raise ValueError("give either ends_at or duration")
        return self
