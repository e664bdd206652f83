"""What a signature covers (RFC 8785 over the event's meaning), and the project and Secretariat
keys: the fast canonical form equals the reference canonicaliser on any JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
import rfc8785
from hypothesis import given, settings
from hypothesis import strategies as st

from shared.events.keys import ProjectKey, verify_project
from shared.events.signing import (
    Signature,
    SigningInputError,
    secretariat_signature,
    signing_input,
    verify_secretariat,
)

ATTRIBUTES = {
    "id": "e-1",
    "source": "/projects/PK-1",
    "type": "t",
    "time": datetime(2026, 3, 2, 10, tzinfo=UTC),
}

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**60), max_value=2**60)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=25,
)


def reference(data: Any) -> bytes | None:
    covered = {
        "id": "e-1",
        "source": "/projects/PK-1",
        "type": "t",
        "time": "2026-03-02T10:00:00Z",
        "data": data,
    }
    try:
        return bytes(rfc8785.dumps(covered))
    except (rfc8785.CanonicalizationError, ValueError):
        return None


@settings(max_examples=2000, deadline=None)
@given(data=json_values)
def test_the_signing_input_is_rfc_8785_whatever_the_data(data: Any) -> None:
    expected = reference(data)
    if expected is None:
        with pytest.raises(SigningInputError):
            signing_input(ATTRIBUTES, data)
    else:
        assert signing_input(ATTRIBUTES, data) == expected


def test_edge_numbers_and_keys_agree_with_the_reference() -> None:
    for data in (
        1.0,
        -0.0,
        1e-7,
        1e21,
        1e16,
        0.0001,
        123.456,
        2**53 - 1,
        {"\U0001f600": 1, "\ufb01": 2},
        "\u2028",
    ):
        assert signing_input(ATTRIBUTES, {"x": data}) == reference({"x": data})


def test_the_same_instant_signs_the_same_and_everything_else_is_covered() -> None:
    base = signing_input(ATTRIBUTES, {"a": 1})
    east = {
        **ATTRIBUTES,
        "time": datetime(2026, 3, 2, 12, 0, 0, 400_000, tzinfo=timezone(timedelta(hours=2))),
    }
    assert signing_input(east, {"a": 1}) == base  # same second, another zone and fraction
    for changed in ({"id": "e-2"}, {"source": "/projects/PK-2"}, {"type": "u"}, {"subject": "s"}):
        assert signing_input({**ATTRIBUTES, **changed}, {"a": 1}) != base
    assert signing_input({**ATTRIBUTES, "time": ATTRIBUTES["time"] + timedelta(seconds=1)}, {"a": 1}) != base
    assert signing_input(ATTRIBUTES, {"a": 2}) != base
    assert signing_input({**ATTRIBUTES, "partitionkey": "x", "other": "y"}, {"a": 1}) == base  # not meaning


def test_a_projects_key_signs_and_only_its_public_half_verifies() -> None:
    key, other = ProjectKey.generate(), ProjectKey.generate()
    message = signing_input(ATTRIBUTES, {"a": 1})
    signature = key.sign(message)
    assert Signature.parse(str(signature)) == signature and signature.key_id == key.key_id
    assert verify_project(signature, message, key.public_b64)
    assert not verify_project(signature, message + b" ", key.public_b64)
    assert not verify_project(signature, message, other.public_b64)
    assert ProjectKey.from_pem(key.pem()).public == key.public
    assert not verify_project(signature, message, "not base64 at all!")


def test_the_secretariats_key_is_an_hmac_no_project_key_can_make() -> None:
    message = signing_input(ATTRIBUTES, {"a": 1})
    signature = secretariat_signature(b"k" * 32, message)
    assert verify_secretariat(signature, message, b"k" * 32)
    assert not verify_secretariat(signature, message, b"j" * 32)
    assert str(signature).startswith("secretariat.")


@pytest.mark.parametrize("text", [None, 7, "", "nodot", ".abc", "UPPER.abc", "a" * 300, "ok.!!!", "ok.===="])
def test_a_malformed_signature_attribute_is_none(text: object) -> None:
    assert Signature.parse(text) is None
