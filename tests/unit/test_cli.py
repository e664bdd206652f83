"""`cfamon`: a bad setting or a bad argument is one clear line and a non-zero exit."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def cfamon(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "services.cli.main", *args],
        env={**os.environ, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("service", ["intake", "aggregator", "notifier"])
def test_a_service_with_a_bad_setting_stops_at_start_with_one_line(service: str) -> None:
    result = cfamon(service, CFA_TOPIC_PARTITIONS="zero")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "cfamon: bad setting CFA_TOPIC_PARTITIONS: Input should be a valid integer, "
        "unable to parse string as an integer (got 'zero')"
    ]


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--countries", "PAK,XYZ", "bad --countries: 'XYZ' is not an ISO 3166-1 alpha-3 country code"),
        ("--action-points", "3.1,3.9", "bad --action-points: '3.9' is not an action point"),
        ("--start", "2025-13-01", "bad --start:"),
        ("--id", "lower case", "bad --id:"),
    ],
)
def test_projects_add_names_the_bad_value_before_touching_any_server(
    option: str, value: str, words: str
) -> None:
    args = {
        "--id": "PK-OK-01",
        "--title": "t",
        "--implementer": "ICMPD",
        "--countries": "PAK",
        "--action-points": "3.1",
        "--start": "2025-01-01",
        "--end": "2026-12-31",
        option: value,
    }
    # No server listens on these ports: a validation failure must come first.
    result = cfamon(
        "projects",
        "add",
        *[part for pair in args.items() for part in pair],
        CFA_KAFKA_BOOTSTRAP_SERVERS="127.0.0.1:1",
        CFA_MONGODB_URL="mongodb://127.0.0.1:1",
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr
