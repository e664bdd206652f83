"""Settings of the aggregator service."""

from __future__ import annotations

from pydantic import Field

from shared.settings import StatusSettings


class AggregatorSettings(StatusSettings):
    port: int = Field(8002, ge=0, le=65535, description="Port the aggregator HTTP server listens on")
    aggregator_group_id: str = Field(
        "cfa-aggregator", min_length=1, description="Kafka consumer group of the aggregator"
    )
    progress_refresh_seconds: float = Field(
        60.0, gt=0, description="How often statuses are recomputed as of now even without new events"
    )
    iati_reporting_org_ref: str = Field(
        "XI-IATI-BPS",
        pattern=r"^[A-Za-z0-9][A-Za-z0-9\-]{2,63}$",
        description="IATI organisation identifier of the publisher of GET /v1/export/iati; "
        "also the prefix of each activity's iati-identifier",
    )
    iati_reporting_org_name: str = Field(
        "Budapest Process Secretariat", min_length=1, description="Name of that organisation"
    )
    progress_min_interval_seconds: float = Field(
        5.0, ge=0, description="Least time between two recomputations of statuses (coalesces busy periods)"
    )
