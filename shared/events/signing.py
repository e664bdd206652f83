"""Signed events: what a signature covers, the signature attribute, the Secretariat's HMAC
(a project's Ed25519 key is in shared.events.keys, which only who signs or verifies loads).

Kafka does not tell a consumer who produced a record, so an event carries its own proof:
the extension attribute `cfasignature` = `<key id>.<signature>` (base64url, no
padding) over the *signing input*, the RFC 8785 (JCS) form of

    {"id", "source", "type", "time" (UTC, whole seconds, "...Z"), "subject" (if any), "data"}

`time` is normalised, like the CloudEvents verifiability proposal does, so that any SDK's
way of writing the same instant signs the same bytes; `data` is canonical JSON, so binary,
structured and batch mode (which re-serialises) all sign the same bytes. Every attribute
that changes what the event means is covered; a copy of a signed event is the same
(source, id), i.e. a duplicate.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import rfc8785

SIGNATURE_ATTRIBUTE = "cfasignature"
SECRETARIAT_KEY_ID = "secretariat"
KEY_ID = re.compile(r"^[a-z0-9-]{1,40}$")


class SigningInputError(ValueError):
    """The event cannot be put in canonical form (a number JSON cannot carry exactly, say)."""


def canonical_time(value: datetime | str) -> str:
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        raise SigningInputError("time has no UTC offset")
    utc = moment.astimezone(UTC).replace(microsecond=0, tzinfo=None)
    return utc.isoformat() + "Z"


def signing_input(attributes: Mapping[str, Any], data: Any) -> bytes:
    """The bytes a signature covers (see the module's docstring)."""
    covered: dict[str, Any] = {name: attributes.get(name) for name in ("id", "source", "type")}
    try:
        covered["time"] = canonical_time(attributes["time"])
    except (KeyError, ValueError, OverflowError, TypeError) as error:
        raise SigningInputError(f"time cannot be normalised ({type(error).__name__})") from None
    if attributes.get("subject") is not None:
        covered["subject"] = attributes["subject"]
    covered["data"] = data
    try:
        plain = _plain_json(covered)
        if plain is not None:
            return json.dumps(plain, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        return rfc8785.dumps(covered)
    except (rfc8785.CanonicalizationError, ValueError, TypeError, RecursionError) as error:
        raise SigningInputError(f"data has no canonical JSON form ({type(error).__name__})") from None


MAX_EXACT_INTEGER = 2**53 - 1  # JSON numbers are doubles (RFC 8785 refuses larger integers)


def _plain_json(value: Any) -> Any:
    """`value` with integral floats as ints, when Python's JSON writer then writes exactly what
    RFC 8785 does (about 10 times faster than the pure-Python canonicaliser): every key within
    the Basic Multilingual Plane (JCS sorts by UTF-16 units, Python by code points), no lone
    surrogate, integers exact in a double, and every other float where Python's shortest form
    and ECMAScript's agree (1e-4 <= |x| < 1e16). None: take the canonicaliser."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return value if value.isascii() or not _SURROGATE.search(value) else None
    if isinstance(value, int):
        return value if abs(value) <= MAX_EXACT_INTEGER else None
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e16:
            return int(value)  # ECMAScript writes an integral double without ".0"
        return value if 1e-4 <= abs(value) < 1e16 else None
    if isinstance(value, list):
        items = [_plain_json(item) for item in value]
        return None if any(i is None and v is not None for i, v in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        result = {}
        for key, item in value.items():
            if not isinstance(key, str):
                return None
            plain = _plain_json(item)
            if (
                not isinstance(key, str)
                or _ASTRAL_OR_SURROGATE.search(key)
                or (plain is None and item is not None)
            ):
                return None
            result[key] = plain
        return result
    return None


_SURROGATE = re.compile("[\ud800-\udfff]")
_ASTRAL_OR_SURROGATE = re.compile("[\ud800-\udfff\U00010000-\U0010ffff]")


def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    """Strict base64url (padding optional): any other character is an error, not skipped."""
    return base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)


@dataclass(frozen=True)
class Signature:
    """A `cfasignature` value, split; `parse` answers None for anything malformed."""

    key_id: str
    value: bytes

    @classmethod
    def parse(cls, text: object) -> Signature | None:
        if not isinstance(text, str) or len(text) > 200:
            return None
        key_id, _, encoded = text.partition(".")
        if not KEY_ID.match(key_id) or not encoded:
            return None
        try:
            value = unb64(encoded)
        except (binascii.Error, ValueError):
            return None
        return cls(key_id, value) if value else None

    def __str__(self) -> str:
        return f"{self.key_id}.{b64(self.value)}"


def mac(key: bytes, *parts: bytes) -> bytes:
    """HMAC-SHA256 over the parts, each length-prefixed (no two lists of parts collide)."""
    digest = hmac.new(key, digestmod=hashlib.sha256)
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.digest()


def secretariat_signature(key: bytes, message: bytes) -> Signature:
    return Signature(SECRETARIAT_KEY_ID, mac(key, b"secretariat-event", message))


def verify_secretariat(signature: Signature, message: bytes, key: bytes) -> bool:
    return hmac.compare_digest(signature.value, mac(key, b"secretariat-event", message))


def encode_mac(raw: bytes) -> str:
    return b64(raw)


def decode_mac(text: str) -> bytes | None:
    try:
        return unb64(text)
    except (binascii.Error, ValueError):
        return None


@dataclass(frozen=True)
class Proof:
    """What an event offers as proof of who sent it: its `cfasignature` (None when the
    attribute is malformed) over its signing input, for the project its source names."""

    source: str
    signature: Signature | None
    message: bytes


def proof_of(attributes: Mapping[str, Any], data: Any) -> Proof | None:
    """The event's proof, or None when it carries no `cfasignature` (or cannot be signed)."""
    if SIGNATURE_ATTRIBUTE not in attributes:
        return None
    try:
        message = signing_input(attributes, data)
    except SigningInputError:
        return None
    return Proof(str(attributes.get("source")), Signature.parse(attributes[SIGNATURE_ATTRIBUTE]), message)
