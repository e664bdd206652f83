"""A project's credentials as `cfamon projects add|token` issue them, on the real servers: shown
once, in a file only its owner reads, with a SCRAM user on Kafka when the broker has users; the
registry keeps nothing that could sign or log in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pymongo import MongoClient

from shared.adapters.mongo import REGISTRY
from shared.domain.projects import Credentials, hash_token
from shared.settings import CommonSettings
from shared.stack import StackEndpoints
from tests.cli import cfamon, projects_add_args
from tests.conftest import service_settings
from tests.integration.helpers import stack_env

pytestmark = pytest.mark.integration


def test_credentials_are_issued_once_and_replaced_together(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    settings = service_settings(CommonSettings, stack, isolation)
    # Tansu answers AlterUserScramCredentials (and stores nothing): the call is made for real.
    env = {**stack_env(settings), "CFA_KAFKA_PROJECT_USERS": "true"}
    first = tmp_path / "first.json"
    added = cfamon(*projects_add_args(id="PK-CRED-01"), "--credentials", str(first), env=env)
    assert added.returncode == 0, added.stderr
    issued = Credentials.from_json(first.read_text())
    assert added.stdout.strip().splitlines()[-1] == issued.token
    assert issued.kafka_username == "project-pk-cred-01" and issued.kafka_password
    assert issued.kafka_password not in added.stdout and issued.signing_key.pem() not in added.stdout
    assert first.stat().st_mode & 0o777 == 0o600
    with MongoClient(settings.mongodb_url) as mongo:
        entry = mongo[settings.mongodb_db][REGISTRY].find_one({"_id": "PK-CRED-01"})
    assert entry is not None
    stored = json.dumps(entry, default=str)
    assert issued.token not in stored and issued.kafka_password not in stored and "PRIVATE" not in stored
    assert entry["token_sha256"] == hash_token(issued.token)
    assert entry["signing_key"] == issued.signing_key.public_b64

    again = cfamon("projects", "token", "PK-CRED-01", "--credentials", str(first), env=env)
    assert again.returncode == 1 and "never overwritten" in again.stderr
    second = tmp_path / "second.json"
    rotated = cfamon("projects", "token", "PK-CRED-01", "--credentials", str(second), env=env)
    assert rotated.returncode == 0, rotated.stderr
    new = Credentials.from_json(second.read_text())
    assert new.token != issued.token and new.signing_key.key_id != issued.signing_key.key_id
    assert new.kafka_username == issued.kafka_username and new.kafka_password != issued.kafka_password
    with MongoClient(settings.mongodb_url) as mongo:
        entry = mongo[settings.mongodb_db][REGISTRY].find_one({"_id": "PK-CRED-01"})
    assert entry is not None and entry["signing_key_id"] == new.signing_key.key_id

    unknown = cfamon("projects", "token", "PK-NOBODY-01", "--credentials", str(tmp_path / "x.json"), env=env)
    assert unknown.returncode == 1 and "not registered" in unknown.stderr
    assert not (tmp_path / "x.json").exists()
