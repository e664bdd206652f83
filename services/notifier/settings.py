"""Settings of the notifier service."""

from __future__ import annotations

import ssl
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, unquote, urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator

from shared.settings import ExistingFile, StatusSettings


class NotifierSettings(StatusSettings):
    port: int = Field(8003, ge=0, le=65535, description="Port the notifier HTTP server listens on")
    smtp_url: SecretStr = Field(
        SecretStr("smtp://localhost:1025"),
        description="SMTP server for alert e-mails: smtp://host:port (STARTTLS whenever the server "
        "offers it) or smtps://host:port (TLS from the start); with user:password@ before the host "
        "(percent-encoded) the notifier logs in, only over TLS; never logged",
    )
    smtp_ca_file: ExistingFile | None = Field(
        None,
        description="CA certificates (PEM) trusted for the SMTP server's TLS certificate instead of "
        "the system's CA store (a private CA, or the server's own self-signed certificate)",
    )
    notifier_config: ExistingFile | None = Field(
        None,
        description="YAML file: Reference Group and TWG recipients, webhooks, intervals ("
        "default: deploy/config/notifier.yaml)",
    )
    notifier_lease_seconds: float = Field(
        30.0,
        gt=0,
        description="How long the replica that evaluates keeps the evaluation lease without "
        "renewing it; another replica takes over after that",
    )
    notifier_claim_seconds: float = Field(
        60.0,
        gt=0,
        description="How long a replica's claim on a notification it is sending lasts; if the "
        "replica dies, another sends it after that (keep it above the 10 s channel timeouts)",
    )
    notifier_send_batch: int = Field(
        20, ge=1, description="How many notifications one replica claims and sends at a time"
    )
    notifier_tick_seconds: float = Field(
        1.0, gt=0, description="How often the notifier looks for due notices and sends its outbox"
    )
    dashboard_url: str | None = Field(
        None,
        description="Public address of the aggregator's dashboard, for links in notifications, "
        "e.g. https://monitor.example.org (unset: the e-mails say where to look, without links)",
    )

    @model_validator(mode="before")
    @classmethod
    def _smtp_url_kept_secret(cls, data: Any) -> Any:
        """A secret before any check, so that a bad URL is reported without its value (a
        password may be in it)."""
        if isinstance(data, dict) and isinstance(data.get("smtp_url"), str):
            return {**data, "smtp_url": SecretStr(data["smtp_url"])}
        return data

    @field_validator("smtp_url")
    @classmethod
    def _smtp(cls, value: SecretStr) -> SecretStr:
        url = urlsplit(value.get_secret_value())
        if url.scheme not in ("smtp", "smtps") or not _host_and_port(url):
            raise ValueError("must be smtp://[user:password@]host:port or smtps://[user:password@]host:port")
        credentials = unquote(url.username or "") + unquote(url.password or "")
        if not credentials.isascii():
            raise ValueError("user and password must be ASCII (SMTP login takes no other)")
        return value

    @field_validator("dashboard_url")
    @classmethod
    def _dashboard(cls, value: str | None) -> str | None:
        """An http(s) address that people can open (empty: unset); each alert's link is added
        to its path, so it has no query or fragment."""
        if value is None or not value.strip():
            return None
        url = urlsplit(value)
        if url.scheme not in ("http", "https") or not _host_and_port(url):
            raise ValueError("must be an http:// or https:// address, e.g. https://monitor.example.org")
        if url.username is not None or any(c in value for c in "?# ") or not value.isprintable():
            raise ValueError("must be a plain address: no user, password, query, fragment or space")
        return value

    @field_validator("smtp_ca_file")
    @classmethod
    def _ca_certificates(cls, value: Path | None) -> Path | None:
        if value is not None:
            try:
                ssl.create_default_context(cafile=str(value))
            except ssl.SSLError:
                raise ValueError(f"{value} holds no CA certificate in PEM form") from None
        return value


def _host_and_port(url: SplitResult) -> bool:
    """A host, and a port that is one when given (urlsplit raises on a port that is not)."""
    try:
        return bool(url.hostname) and (url.port is None or url.port > 0)
    except ValueError:
        return False
