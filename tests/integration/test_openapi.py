"""The OpenAPI documents tell the truth: schemathesis (a tool nobody here wrote) generates
requests from each service's document and checks every answer against it (status codes,
bodies, content types, headers, Allow on 405, auth), on the real servers."""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi import FastAPI
from pymongo import MongoClient

from services.aggregator.app import create_app as create_aggregator
from services.aggregator.settings import AggregatorSettings
from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from services.notifier.app import create_app as create_notifier
from services.notifier.settings import NotifierSettings
from shared.adapters.mongo import REGISTRY
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import project_id, registered
from tests.integration.helpers import ServerThread

pytestmark = pytest.mark.integration
CONFIG = Path(__file__).with_name("schemathesis.toml")
OPERATOR = "o" * 40
READER = "r" * 40
PROJECT_TOKEN = "cfa_schemathesis-project-token"
EXAMPLES = 10  # per operation and phase: bounded, as make test must stay short


@dataclass(frozen=True)
class Run:
    returncode: int
    output: str

    @property
    def operations(self) -> int:
        found = re.search(r"Tested: (\d+)", self.output)
        return int(found[1]) if found else 0

    @property
    def generated(self) -> int:
        found = re.search(r"(\d+) generated", self.output)
        return int(found[1]) if found else 0


def schemathesis(app: FastAPI, token: str, workdir: Path) -> Run:
    """`st run` against the app served over real HTTP, every check, a fixed seed (its cache
    in `workdir`, not in the repository)."""
    st = Path(sys.executable).with_name("st")
    with ServerThread(app) as server:
        done = subprocess.run(
            [
                str(st),
                "--no-color",
                "--config-file",
                str(CONFIG),
                "run",
                f"{server.url}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "all",
                "--max-examples",
                str(EXAMPLES),
                "--seed",
                "20261202",
            ],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=workdir,
        )
    return Run(done.returncode, done.stdout + done.stderr)


def assert_passes(run: Run, at_least: int) -> None:
    assert run.returncode == 0, run.output[-6000:]
    assert run.operations >= at_least and run.generated > run.operations, run.output[-2000:]
    print(f"schemathesis: {run.operations} operations, {run.generated} test cases, 0 failures")


TOKENS = {"operator_token": OPERATOR, "reader_token": READER}


def test_intake_answers_as_its_document_says(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    settings = service_settings(IntakeSettings, stack, isolation, **TOKENS)
    with MongoClient(settings.mongodb_url) as mongo:
        mongo[settings.mongodb_db][REGISTRY].insert_one(
            registered(project_id(), token=PROJECT_TOKEN).to_document()
        )
    assert_passes(schemathesis(create_intake(settings), PROJECT_TOKEN, tmp_path), at_least=4)


def test_the_aggregator_answers_as_its_document_says(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    settings = service_settings(AggregatorSettings, stack, isolation, **TOKENS)
    assert_passes(schemathesis(create_aggregator(settings), READER, tmp_path), at_least=10)


def test_the_notifier_answers_as_its_document_says(
    stack: StackEndpoints, isolation: dict[str, str], tmp_path: Path
) -> None:
    settings = service_settings(NotifierSettings, stack, isolation, **TOKENS)
    assert_passes(schemathesis(create_notifier(settings), OPERATOR, tmp_path), at_least=8)
