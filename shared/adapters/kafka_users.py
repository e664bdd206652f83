"""Projects' SCRAM users on production Kafka (AlterUserScramCredentials), so that each project
system logs in as itself; the ACLs (deploy/kafka/) let every such user write bp.events.raw only.

aiokafka has no admin call for SCRAM users; librdkafka's (confluent-kafka) has. It is imported
when a user is made, not before: librdkafka costs every process that loads it ~11 MB."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.settings import CommonSettings

SCRAM_ITERATIONS = 8192
TIMEOUT_SECONDS = 15.0


def librdkafka_config(settings: CommonSettings) -> dict[str, str | int | float | bool]:
    """The librdkafka configuration of the settings' Kafka connection and credentials."""
    config: dict[str, str | int | float | bool] = {
        "bootstrap.servers": settings.kafka_bootstrap_servers,
        "security.protocol": settings.kafka_security_protocol.lower(),
    }
    if settings.kafka_security_protocol.startswith("SASL_"):
        assert settings.kafka_username and settings.kafka_password  # checked by the settings
        config["sasl.mechanism"] = settings.kafka_sasl_mechanism
        config["sasl.username"] = settings.kafka_username
        config["sasl.password"] = settings.kafka_password.get_secret_value()
    if settings.kafka_ssl_cafile is not None:
        config["ssl.ca.location"] = str(settings.kafka_ssl_cafile)
    return config


def _mechanism(settings: CommonSettings) -> Any:
    from confluent_kafka.admin._scram import ScramMechanism  # re-exported untyped by .admin

    return (
        ScramMechanism.SCRAM_SHA_512
        if settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
        else ScramMechanism.SCRAM_SHA_256
    )


def _alter(settings: CommonSettings, change: Any) -> None:
    from confluent_kafka.admin import AdminClient

    admin = AdminClient(librdkafka_config(settings))
    for future in admin.alter_user_scram_credentials([change], request_timeout=TIMEOUT_SECONDS).values():
        future.result(timeout=TIMEOUT_SECONDS)


async def set_scram_user(settings: CommonSettings, username: str, password: str) -> None:
    """Create the user, or give it a new password (the old one stops working at once)."""
    from confluent_kafka.admin._scram import ScramCredentialInfo, UserScramCredentialUpsertion

    info = ScramCredentialInfo(_mechanism(settings), SCRAM_ITERATIONS)
    change = UserScramCredentialUpsertion(username, info, password.encode("utf-8"))
    await asyncio.to_thread(_alter, settings, change)
