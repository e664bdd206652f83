"""Projects' SCRAM users on production Kafka (AlterUserScramCredentials), so that each project
system logs in as itself; the ACLs (deploy/kafka/) let every such user write bp.events.raw only.

aiokafka has no admin call for SCRAM users; librdkafka's (confluent-kafka) has."""

from __future__ import annotations

import asyncio

from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._scram import (  # re-exported by confluent_kafka.admin, untyped there
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

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


def _mechanism(settings: CommonSettings) -> ScramMechanism:
    return (
        ScramMechanism.SCRAM_SHA_512
        if settings.kafka_sasl_mechanism == "SCRAM-SHA-512"
        else ScramMechanism.SCRAM_SHA_256
    )


def _alter(
    settings: CommonSettings, change: UserScramCredentialUpsertion | UserScramCredentialDeletion
) -> None:
    admin = AdminClient(librdkafka_config(settings))
    for future in admin.alter_user_scram_credentials([change], request_timeout=TIMEOUT_SECONDS).values():
        future.result(timeout=TIMEOUT_SECONDS)


async def set_scram_user(settings: CommonSettings, username: str, password: str) -> None:
    """Create the user, or give it a new password (the old one stops working at once)."""
    info = ScramCredentialInfo(_mechanism(settings), SCRAM_ITERATIONS)
    change = UserScramCredentialUpsertion(username, info, password.encode("utf-8"))
    await asyncio.to_thread(_alter, settings, change)


async def remove_scram_user(settings: CommonSettings, username: str) -> None:
    change = UserScramCredentialDeletion(username, _mechanism(settings))
    await asyncio.to_thread(_alter, settings, change)
