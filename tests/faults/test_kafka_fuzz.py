"""Generated bad events over Kafka (hypothesis): bad JSON, wrong types, huge strings, wrong
encodings, missing headers, personal data, dates out of range, in binary and structured
mode. Intake must not stop: every one ends in the DLQ with its reason and the field it
names, none reaches bp.events.v1, and a valid event sent after them all still passes."""

from __future__ import annotations

import json
import uuid
from collections import Counter
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from services.intake.app import create_app as create_intake
from services.intake.settings import IntakeSettings
from shared.adapters.mongo import connect
from shared.adapters.registry import ProjectRegistry
from shared.clock import fixed_clock
from shared.events.models import EventType
from shared.stack import StackEndpoints
from tests.conftest import service_settings
from tests.factories import NOW, activity_data, project_id, registered
from tests.faults.scale import scaled
from tests.integration.helpers import running
from tests.kafka_helpers import Message, binary, header, produce, read_topic, sdk_event, structured

pytestmark = [
    pytest.mark.integration,
    pytest.mark.filterwarnings("ignore::hypothesis.errors.HypothesisDeprecationWarning"),
]
EVENTS = scaled(1_000, 10_000)
FUZZ_ID = "x-fuzz-id"  # an extra header: the DLQ keeps the original headers, so each is found
REQUIRED_HEADERS = ["ce_id", "ce_source", "ce_type", "ce_specversion"]
STRING_FIELDS = ["project_id", "activity_id", "title", "kind", "status", "start_date", "end_date"]
LIST_FIELDS = ["action_points", "countries"]

not_strings = (
    st.integers()
    | st.booleans()
    | st.lists(st.integers(), max_size=3)
    | st.dictionaries(st.text(max_size=5), st.integers(), max_size=2)
)
not_lists = (
    st.integers()
    | st.booleans()
    | st.text(max_size=20)
    | st.dictionaries(st.text(max_size=5), st.text(max_size=5), min_size=1, max_size=2)
)
words = st.text(st.characters(min_codepoint=0x61, max_codepoint=0x7A), min_size=2, max_size=12)


@st.composite
def bad_event(draw: st.DrawFn, pid: str) -> tuple[str, str, Message]:
    """(category, fuzz id, message): an activity report of `pid` broken in one way."""
    fuzz_id = uuid.uuid4().hex
    data = activity_data(pid, f"F-{fuzz_id[:12]}")
    category = draw(
        st.sampled_from(
            [
                "bad_json",
                "wrong_type",
                "huge_string",
                "wrong_encoding",
                "missing_headers",
                "personal_data",
                "date_out_of_range",
            ]
        )
    )
    mode = structured if draw(st.booleans()) else binary
    raw_value: bytes | None = None
    drop: list[str] = []
    if category == "bad_json":
        raw_value = draw(st.binary(max_size=200).filter(lambda b: not _json_object(b)))
        mode = binary
    elif category == "wrong_type":
        field = draw(st.sampled_from(STRING_FIELDS + LIST_FIELDS + ["participants"]))
        data[field] = draw(
            not_lists
            if field in LIST_FIELDS
            else not_strings
            if field in STRING_FIELDS
            else st.text(max_size=9) | st.lists(st.integers(), max_size=2)
        )
    elif category == "huge_string":
        field = draw(st.sampled_from(["title", "notes", "activity_id", "kind"]))
        data[field] = draw(st.sampled_from("xé€ヌ")) * draw(st.integers(min_value=2_000, max_value=300_000))
    elif category == "wrong_encoding":
        data["title"] = "Formation des agents: " + draw(st.sampled_from(["é", "ç", "ü", "ø"])) * 3
        raw_value = json.dumps(data, ensure_ascii=False).encode(
            draw(st.sampled_from(["utf-16", "utf-32", "latin-1", "cp1252"]))
        )
        mode = binary
    elif category == "missing_headers":
        drop = draw(st.lists(st.sampled_from(REQUIRED_HEADERS), min_size=1, max_size=4, unique=True))
        mode = binary
    elif category == "personal_data":
        email = (
            f"{draw(words)}.{draw(words)}@{draw(words)}.{draw(st.sampled_from(['org', 'com', 'pk', 'af']))}"
        )
        phone = f"+{draw(st.integers(1, 99))} {draw(st.integers(300, 399))} {draw(st.integers(1_000_000, 9_999_999))}"
        data["notes"] = f"Contact {draw(st.sampled_from([email, phone]))} for the list of participants."
    else:  # date_out_of_range
        year = draw(st.integers(1900, 2020) | st.integers(2040, 2999))
        data["start_date"] = data["end_date"] = (
            f"{year}-0{draw(st.integers(1, 9))}-1{draw(st.integers(0, 9))}"
        )
    key, headers, value = mode(sdk_event(EventType.ACTIVITY_REPORTED, data, f"fuzz-{fuzz_id}"))
    headers = [(n, v) for n, v in headers if n not in drop] + [(FUZZ_ID, fuzz_id.encode())]
    return category, fuzz_id, (key, headers, value if raw_value is None else raw_value)


def _json_object(raw: bytes) -> bool:
    try:
        return isinstance(json.loads(raw.decode("utf-8")), dict)
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False


def generated(pid: str, count: int) -> list[tuple[str, str, Message]]:
    """`count` bad events drawn by hypothesis, in lists of up to 50."""
    found: list[tuple[str, str, Message]] = []

    @settings(
        max_examples=count,  # stops early below, once enough are drawn
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(bad_event(pid), min_size=1, max_size=50))
    def draw(batch: list[tuple[str, str, Message]]) -> None:
        found.extend(batch)

    while len(found) < count:
        draw()
    return found[:count]


async def test_bad_events_over_kafka_all_end_in_the_dlq_with_a_named_field(
    stack: StackEndpoints, isolation: dict[str, str]
) -> None:
    settings_ = service_settings(IntakeSettings, stack, isolation, consumer_max_records=500)
    mongo = connect(stack.mongodb_url)
    pid = project_id()
    await ProjectRegistry(mongo[settings_.mongodb_db]).add(registered(pid))
    sent = generated(pid, EVENTS)
    categories = Counter(category for category, _, _ in sent)
    try:
        async with running(create_intake(settings_, fixed_clock(NOW + timedelta(days=1)))):
            await produce(settings_.kafka_bootstrap_servers, settings_.topics.raw, [m for _, _, m in sent])
            sentinel = binary(
                sdk_event(EventType.ACTIVITY_REPORTED, activity_data(pid, "after-the-fuzz"), "sentinel")
            )
            await produce(settings_.kafka_bootstrap_servers, settings_.topics.raw, [sentinel])
            dlq = await read_topic(
                settings_.kafka_bootstrap_servers,
                settings_.topics.dlq,
                lambda records: len(records) >= EVENTS,
                timeout=120 + EVENTS / 50,
            )
            passed = await read_topic(
                settings_.kafka_bootstrap_servers,
                settings_.topics.validated,
                lambda records: bool(records),
                timeout=30,
            )
    finally:
        await mongo.drop_database(settings_.mongodb_db)
        await mongo.close()
    by_id = {header(r, FUZZ_ID): r for r in dlq}
    missing = [(c, i) for c, i, _ in sent if i not in by_id]
    assert not missing, f"{len(missing)} of {EVENTS} bad events are not in the DLQ, e.g. {missing[:5]}"
    assert len(dlq) == EVENTS, f"{len(dlq) - EVENTS} bad events went to the DLQ more than once"
    reasons: Counter[tuple[str, str]] = Counter()
    for category, fuzz_id, (_, _, value) in sent:
        record = by_id[fuzz_id]
        reason, field = header(record, "reason"), header(record, "field")
        assert reason and field, f"{category} {fuzz_id}: reason {reason!r}, field {field!r}"
        assert record.value == value, f"{category} {fuzz_id}: the DLQ changed the bytes"
        reasons[category, reason] += 1
    assert [json.loads(r.value)["id"] for r in passed] == ["sentinel"], (
        "only the valid event after the fuzz passes"
    )
    assert len(categories) == 7, categories
    print(
        f"{EVENTS} bad events over Kafka, all in the DLQ once, by category and reason: {dict(sorted(reasons.items()))}"
    )
