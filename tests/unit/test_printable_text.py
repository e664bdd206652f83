"""Every string in event data is printable text (DESIGN §11): one row per string field."""

from __future__ import annotations

import copy
import types
import typing
from enum import Enum
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ValidationError

from shared.events.models import DATA_MODELS, EventType
from shared.events.rejections import RejectionReason, schema_rejection
from tests.factories import SAMPLES

PID = "PK-RETURN-01"
P, A, IM, M, W, RV = (
    EventType.PROJECT_REGISTERED,
    EventType.ACTIVITY_REPORTED,
    EventType.INDICATOR_MEASURED,
    EventType.MILESTONE_UPDATED,
    EventType.REPORT_WITHDRAWN,
    EventType.FIGURE_REVIEWED,
)
# Samples whose every optional string field is present.
EXTRA: dict[EventType, dict[str, Any]] = {
    IM: {"countries": ["PAK"]},
    RV: {"comment": "Please give the number of participants"},
    W: {
        "activity_id": None,
        "indicator_id": "ind-3.1",
        "period_start": "2026-01-01",
        "period_end": "2026-03-31",
    },
}
# (event type, path of a string in its data, kind): "id" refuses invisible format characters too,
# "notes" allows line breaks, "line" is one line of prose.
FIELDS: list[tuple[EventType, tuple[str | int, ...], str]] = [
    *[(t, ("project_id",), "id") for t in EventType],
    (P, ("title",), "line"),
    (P, ("implementer",), "line"),
    (P, ("countries", 0), "id"),
    (P, ("action_points", 0), "id"),
    (A, ("activity_id",), "id"),
    (A, ("action_points", 0), "id"),
    (A, ("title",), "line"),
    (A, ("countries", 0, "code"), "id"),
    (A, ("cross_cutting", 0), "id"),
    (A, ("notes",), "notes"),
    (IM, ("indicator_id",), "id"),
    (IM, ("countries", 0), "id"),
    (M, ("milestone_id",), "id"),
    (M, ("action_point",), "id"),
    (M, ("title",), "line"),
    (W, ("indicator_id",), "id"),
    (W, ("reason",), "line"),
    (RV, ("activity_id",), "id"),
    (RV, ("event_id",), "id"),
    (RV, ("comment",), "notes"),
    (RV, ("reviewer",), "line"),
]
WITHDRAWN_ACTIVITY = (W, ("activity_id",), "id")  # the other way to name a withdrawn report
# The other ways to name a reviewed figure: a measurement, a milestone.
REVIEWED_MEASUREMENT = {"activity_id": None, **EXTRA[W]}
REVIEWED_MILESTONE = {"activity_id": None, "milestone_id": "MS-1"}
OTHER_SAMPLES = {
    WITHDRAWN_ACTIVITY[:2]: lambda: SAMPLES[W](PID),
    (RV, ("indicator_id",)): lambda: {**sample(RV), **REVIEWED_MEASUREMENT},
    (RV, ("milestone_id",)): lambda: {**sample(RV), **REVIEWED_MILESTONE},
}


def sample(event_type: EventType) -> dict[str, Any]:
    data = {**SAMPLES[event_type](PID), **EXTRA.get(event_type, {})}
    return {k: v for k, v in data.items() if v is not None}


def with_value(event_type: EventType, path: tuple[str | int, ...], change: Any) -> dict[str, Any]:
    """The sample with the string at `path` replaced by change(old string)."""
    other = OTHER_SAMPLES.get((event_type, path))
    data = copy.deepcopy({k: v for k, v in other().items() if v is not None} if other else sample(event_type))
    node: Any = data
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = change(node[path[-1]])
    return data


def refusal(event_type: EventType, data: dict[str, Any], path: tuple[str | int, ...]) -> str:
    with pytest.raises(ValidationError) as caught:
        DATA_MODELS[event_type].model_validate(data)
    messages = [e["msg"].removeprefix("Value error, ") for e in caught.value.errors() if e["loc"] == path]
    assert messages, caught.value.errors()
    return messages[0]


def insert(char: str, at: int = 1) -> Any:
    return lambda old: old[:at] + char + old[at:]


ALL_FIELDS = [*FIELDS, WITHDRAWN_ACTIVITY, (RV, ("indicator_id",), "id"), (RV, ("milestone_id",), "id")]
REFUSED_EVERYWHERE = [
    ("\x07", "a control character"),
    ("\x00", "a control character"),
    ("\x1b", "a control character"),
    ("\x7f", "a control character"),
    ("\x9b", "a control character"),
    ("\t", "a control character"),
    ("\x85", "a line or paragraph separator"),
    ("\u2028", "a line or paragraph separator"),
    ("\u2029", "a line or paragraph separator"),
    ("\u202e", "a bidirectional control character"),
    ("\u202a", "a bidirectional control character"),
    ("\u2066", "a bidirectional control character"),
    ("\u2069", "a bidirectional control character"),
    ("\ud800", "an unpaired surrogate"),
]


@pytest.mark.parametrize(("event_type", "path", "kind"), ALL_FIELDS)
@pytest.mark.parametrize(("char", "what"), REFUSED_EVERYWHERE)
def test_every_string_field_refuses(
    event_type: EventType, path: tuple[str | int, ...], kind: str, char: str, what: str
) -> None:
    message = refusal(event_type, with_value(event_type, path, insert(char)), path)
    assert message == f"contains {what} (U+{ord(char):04X}) at position 1"


@pytest.mark.parametrize(("event_type", "path", "kind"), ALL_FIELDS)
def test_samples_with_every_field_are_valid(
    event_type: EventType, path: tuple[str | int, ...], kind: str
) -> None:
    DATA_MODELS[event_type].model_validate(with_value(event_type, path, lambda old: old))


@pytest.mark.parametrize(("event_type", "path", "kind"), ALL_FIELDS)
@pytest.mark.parametrize("line_break", ["\n", "\r\n", "\r"])
def test_line_breaks_in_notes_only(
    event_type: EventType, path: tuple[str | int, ...], kind: str, line_break: str
) -> None:
    data = with_value(event_type, path, insert(line_break))
    if kind == "notes" and line_break != "\r":
        DATA_MODELS[event_type].model_validate(data)
    elif kind == "notes":
        assert refusal(event_type, data, path) == (
            "contains a carriage return not followed by a line feed (U+000D) at position 1"
        )
    else:
        assert refusal(event_type, data, path) == (
            f"contains a line break (U+{ord(line_break[0]):04X}) at position 1: only notes may span lines"
        )


@pytest.mark.parametrize(("event_type", "path", "kind"), ALL_FIELDS)
@pytest.mark.parametrize("char", ["\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00ad", "\u200f"])
def test_invisible_characters_in_prose_but_not_in_ids(
    event_type: EventType, path: tuple[str | int, ...], kind: str, char: str
) -> None:
    data = with_value(event_type, path, insert(char))
    if kind == "id":
        assert refusal(event_type, data, path) == (
            f"contains an invisible format character (U+{ord(char):04X}) at position 1"
        )
    else:  # Persian and Urdu need the zero-width non-joiner; the right-to-left mark is no override
        DATA_MODELS[event_type].model_validate(data)


def test_intake_refuses_it_as_schema_naming_the_field() -> None:
    data = with_value(A, ("title",), insert("\x07", 4))
    with pytest.raises(ValidationError) as caught:
        DATA_MODELS[A].model_validate(data)
    rejection = schema_rejection(caught.value, "data")
    assert rejection.reason is RejectionReason.SCHEMA
    assert rejection.message == "data.title: contains a control character (U+0007) at position 4"


def test_the_first_offending_character_is_named_and_the_value_never_echoed() -> None:
    data = with_value(A, ("title",), lambda _: "Secret\u202eagenda\x07")
    message = refusal(A, data, ("title",))
    assert message == "contains a bidirectional control character (U+202E) at position 6"
    assert "Secret" not in message and "agenda" not in message


@pytest.mark.parametrize("bad", ["a@b.org", "+92 300 1234567", "ayesha"])
def test_vocabulary_errors_do_not_echo_what_could_be_personal(bad: str) -> None:
    for event_type, path in [(A, ("countries", 0, "code")), (A, ("cross_cutting", 0))]:
        message = refusal(event_type, with_value(event_type, path, lambda _: bad), path)
        assert bad not in message


def test_a_misspelt_code_is_still_named() -> None:
    assert "'XXX'" in refusal(
        A, with_value(A, ("countries", 0, "code"), lambda _: "XXX"), ("countries", 0, "code")
    )


REFUSED = st.sampled_from([c for c, _ in REFUSED_EVERYWHERE])
PRINTABLE = st.text(st.characters(blacklist_categories=["Cc", "Cs", "Cf", "Zl", "Zp"]), max_size=20)


@given(st.sampled_from(ALL_FIELDS), PRINTABLE, REFUSED, st.data())
def test_any_refused_character_anywhere_is_found(
    field: tuple[EventType, tuple[str | int, ...], str], text: str, char: str, data: st.DataObject
) -> None:
    event_type, path, _ = field
    at = data.draw(st.integers(0, len(text)))
    message = refusal(event_type, with_value(event_type, path, lambda _: text[:at] + char + text[at:]), path)
    assert message.endswith(f"(U+{ord(char):04X}) at position {at}"), message


def _has_str(annotation: Any) -> bool:
    if annotation is str:
        return True
    if isinstance(annotation, type) and issubclass(annotation, Enum | BaseModel):
        return False
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _has_str(typing.get_args(annotation)[0])
    if origin is typing.Literal:
        return False
    return origin in (list, typing.Union, types.UnionType) and any(map(_has_str, typing.get_args(annotation)))


def _inner(annotation: Any) -> list[Any]:
    """The types an annotation is made of: X | None -> [X, None], list[X] -> [X]."""
    return [annotation, *[t for arg in typing.get_args(annotation) for t in _inner(arg)]]


def _string_fields(model: type[BaseModel], prefix: tuple[str | int, ...] = ()) -> set[tuple[str | int, ...]]:
    found: set[tuple[str | int, ...]] = set()
    for name, info in model.model_fields.items():
        parts = _inner(info.annotation)
        path = (*prefix, name, 0) if any(typing.get_origin(t) is list for t in parts) else (*prefix, name)
        if _has_str(info.annotation):
            found.add(path)
        for model_type in parts:
            if isinstance(model_type, type) and issubclass(model_type, BaseModel):
                found |= _string_fields(model_type, path)
    return found


@pytest.mark.parametrize("event_type", list(EventType))
def test_the_table_names_every_string_field(event_type: EventType) -> None:
    """A string field added later without a row here (and without the check) fails this test."""
    tested = {path for t, path, _ in ALL_FIELDS if t == event_type}
    assert _string_fields(DATA_MODELS[event_type]) == tested
