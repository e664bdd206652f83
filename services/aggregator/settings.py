"""Settings of the aggregator service."""

from __future__ import annotations

from pydantic import Field

from shared.settings import CommonSettings


class AggregatorSettings(CommonSettings):
    port: int = Field(8002, ge=0, le=65535, description="Port the aggregator HTTP server listens on")
    aggregator_group_id: str = Field(
        "cfa-aggregator", min_length=1, description="Kafka consumer group of the aggregator"
    )
