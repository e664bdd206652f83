"""Settings of the aggregator service."""

from __future__ import annotations

from pydantic import Field, model_validator

from shared.settings import CommonSettings
from shared.status import Thresholds


class AggregatorSettings(CommonSettings):
    port: int = Field(8002, ge=0, le=65535, description="Port the aggregator HTTP server listens on")
    aggregator_group_id: str = Field(
        "cfa-aggregator", min_length=1, description="Kafka consumer group of the aggregator"
    )
    on_track_ratio: float = Field(
        0.9, gt=0, description="progress/expected at or above which an indicator is on track"
    )
    at_risk_ratio: float = Field(
        0.6, gt=0, description="progress/expected at or above which (below on track) it is at risk"
    )
    stale_after_days: int = Field(
        120, ge=1, description="Days without activity after which an action point is stale"
    )
    progress_refresh_seconds: float = Field(
        60.0, gt=0, description="How often statuses are recomputed as of now even without new events"
    )
    progress_min_interval_seconds: float = Field(
        5.0, ge=0, description="Least time between two recomputations of statuses (coalesces busy periods)"
    )

    @model_validator(mode="after")
    def _ratios_ordered(self) -> AggregatorSettings:
        if self.at_risk_ratio >= self.on_track_ratio:
            raise ValueError("at_risk_ratio must be below on_track_ratio")
        return self

    @property
    def thresholds(self) -> Thresholds:
        return Thresholds(self.on_track_ratio, self.at_risk_ratio, self.stale_after_days)
