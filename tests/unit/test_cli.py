"""`cfamon`: a bad setting or a bad argument is one clear line and a non-zero exit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.cli import cfamon, projects_add_args


@pytest.mark.parametrize("service", ["intake", "aggregator", "notifier"])
def test_a_service_with_a_bad_setting_stops_at_start_with_one_line(service: str) -> None:
    result = cfamon(service, env={"CFA_TOPIC_PARTITIONS": "zero"})
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
    option_name = option.removeprefix("--")
    # No server listens on these ports: a validation failure must come first.
    result = cfamon(
        *projects_add_args(**{option_name: value}),
        env={"CFA_KAFKA_BOOTSTRAP_SERVERS": "127.0.0.1:1", "CFA_MONGODB_URL": "mongodb://127.0.0.1:1"},
    )
    assert result.returncode == 1
    assert len(result.stderr.strip().splitlines()) == 1 and words in result.stderr


def test_a_service_with_a_broken_framework_file_stops_with_its_problems(tmp_path: Path) -> None:
    broken = tmp_path / "framework.yaml"
    broken.write_text(
        'indicators:\n  - {id: ind-x, action_point: "1.2", name: n, unit: u, aggregation: sum, target: -1}\n'
    )
    result = cfamon("aggregator", env={"CFA_RESULTS_FRAMEWORK": str(broken)})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"cfamon: {broken}: indicator ind-x: target: -1 is not above the baseline 0"
    ]


def test_docs_writes_each_services_asyncapi_document_with_the_topics_it_reads_and_writes(
    tmp_path: Path,
) -> None:
    result = cfamon("docs", "--out", str(tmp_path), env={"CFA_TOPIC_PREFIX": "prod."})
    assert result.returncode == 0, result.stderr
    wanted = {
        "intake": ({"prod.bp.events.raw"}, {"prod.bp.events.v1", "prod.bp.events.dlq"}),
        "aggregator": ({"prod.bp.events.v1"}, {"prod.bp.progress.v1", "prod.bp.events.dlq"}),
        "notifier": ({"prod.bp.progress.v1"}, {"prod.bp.alerts.v1"}),
    }
    for service, (reads, writes) in wanted.items():
        document = json.loads((tmp_path / f"{service}.json").read_text())
        assert document["asyncapi"] == "3.0.0"
        assert yaml.safe_load((tmp_path / f"{service}.yaml").read_text()) == document
        channels = {name: channel["address"] for name, channel in document["channels"].items()}
        by_action: dict[str, set[str]] = {"receive": set(), "send": set()}
        for operation in document["operations"].values():
            by_action[operation["action"]].add(channels[operation["channel"]["$ref"].split("/")[-1]])
        assert (by_action["receive"], by_action["send"]) == (reads, writes), service
    notifier = json.loads((tmp_path / "notifier.json").read_text())
    assert "fingerprint" in notifier["components"]["schemas"]["AlertMessage"]["properties"]
