"""Settings of the notifier service."""

from __future__ import annotations

from pydantic import Field, field_validator

from shared.settings import ExistingFile, StatusSettings


class NotifierSettings(StatusSettings):
    port: int = Field(8003, ge=0, le=65535, description="Port the notifier HTTP server listens on")
    smtp_url: str = Field(
        "smtp://localhost:1025", description="SMTP server for alert e-mails, smtp://host:port"
    )
    notifier_config: ExistingFile | None = Field(
        None,
        description="YAML file: Reference Group and TWG recipients, webhooks, intervals (DESIGN §6; "
        "default: deploy/config/notifier.yaml)",
    )
    notifier_group_id: str = Field(
        "cfa-notifier", min_length=1, description="Kafka consumer group of the notifier"
    )
    notifier_tick_seconds: float = Field(
        1.0, gt=0, description="How often the notifier looks for due notices and sends its outbox"
    )

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: str) -> str:
        if not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must be smtp://host:port or smtps://host:port")
        return value
