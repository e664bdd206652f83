"""Who vouched for an event: principals, the suite's own keys, intake's marks.

A record on a topic proves nothing about who wrote it, so every hop carries its proof:
a project signs its events with its own key (or posts them with its token, and intake marks
the record it puts on bp.events.raw); intake marks every event it accepts onto bp.events.v1
with the principal that vouched for it; the aggregator stores only what intake marked.
The marks are HMACs with intake's key, which lives in MongoDB beside the registry: whoever
can read it could rewrite the registry and the event log anyway.
"""

from __future__ import annotations

import contextlib
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from bson import Binary
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from shared.adapters.mongo import SERVICE_KEYS
from shared.clock import utc_now
from shared.events.codec import KafkaRecord, header_view
from shared.events.models import EventType
from shared.events.signing import decode_mac, encode_mac, mac

PRINCIPAL_HEADER = "cfa-principal"
VOUCH_HEADER = "cfa-vouch"
MARK_HEADERS = frozenset({PRINCIPAL_HEADER, VOUCH_HEADER})
SECRETARIAT = "secretariat"
# Events only the Secretariat may send: they change the registry, or review figures.
SECRETARIAT_EVENTS = frozenset({EventType.PROJECT_REGISTERED, EventType.FIGURE_REVIEWED})


@dataclass(frozen=True)
class Principal:
    """A project (by id) or the Secretariat (project_id None)."""

    project_id: str | None

    @classmethod
    def secretariat(cls) -> Principal:
        return cls(None)

    @classmethod
    def parse(cls, text: str) -> Principal | None:
        if text == SECRETARIAT:
            return cls(None)
        kind, _, project_id = text.partition(":")
        return cls(project_id) if kind == "project" and project_id else None

    @classmethod
    def entitled(cls, event_type: EventType, project_id: str) -> Principal:
        """Who may send such an event: the Secretariat, or the project itself."""
        return cls.secretariat() if event_type in SECRETARIAT_EVENTS else cls(project_id)

    @property
    def is_secretariat(self) -> bool:
        return self.project_id is None

    def __str__(self) -> str:
        return SECRETARIAT if self.project_id is None else f"project:{self.project_id}"

    def refusal(self, event_type: EventType, project_id: str) -> str | None:
        """Why this principal may not send this event, or None when it may."""
        if event_type in SECRETARIAT_EVENTS:
            if self.is_secretariat:
                return None
            return f"{event_type} is the Secretariat's to send; a project's credential cannot"
        if self.is_secretariat:
            return (
                f"the Secretariat does not report for projects ({event_type} needs {project_id}'s credential)"
            )
        if self.project_id != project_id:
            return f"the credential is {self.project_id}'s; it cannot report for {project_id}"
        return None


Headers = Iterable[tuple[str, bytes]]
# Where intake read an event on bp.events.raw (topic/partition/offset), on its bp.events.v1
# record: a second record of the same (source, id) from the same raw position is a
# redelivery, from another one a re-send. Vouched for by a MAC of its own, bound to the
# record's mark, so an aggregator that does not read it still verifies the mark (any order
# of upgrade works) and none can be moved to another record.
RAW_POSITION = "cfa-raw-position"
RAW_VOUCH = "cfa-raw-vouch"
POSITION_PATTERN = re.compile(r"[A-Za-z0-9._-]+/\d{1,9}/\d{1,19}")


def _record_mac(
    key: bytes, purpose: str, principal: str, record_key: bytes | None, headers: Headers, value: bytes
) -> bytes:
    # What carries the event, as the decoder reads it (lower-case names, the last of a name
    # wins): the ce_ attributes and the content type. Clients and FastStream add headers of
    # their own (correlation_id) that mean nothing here. Names and values are separate,
    # length-prefixed parts: no two header lists give the same input.
    view = header_view(headers)
    covered = sorted((n, v) for n, v in view.items() if n.startswith("ce_") or n == "content-type")
    parts = [part for name, v in covered for part in (name.encode(), v)]
    return mac(
        key,
        purpose.encode(),
        principal.encode(),
        record_key or b"",
        str(len(covered)).encode(),
        *parts,
        value,
    )


def mark(
    key: bytes, purpose: str, principal: Principal, record_key: bytes | None, headers: Headers, value: bytes
) -> dict[str, str]:
    """The headers that say `principal` vouched for this record (key, headers, value)."""
    text = str(principal)
    signature = _record_mac(key, purpose, text, record_key, headers, value)
    return {PRINCIPAL_HEADER: text, VOUCH_HEADER: encode_mac(signature)}


def vouch_position(key: bytes, marked_with: dict[str, str], position: str) -> dict[str, str]:
    """The headers that say where intake read a record it marked (`marked_with`: its mark)."""
    signature = mac(key, b"raw_position", marked_with[VOUCH_HEADER].encode(), position.encode())
    return {RAW_POSITION: position, RAW_VOUCH: encode_mac(signature)}


def vouched_position(key: bytes, headers: Headers) -> str | None:
    """Where intake read the record, if it says so and its MAC holds; None otherwise (an
    older intake's record, or headers someone changed: taken as a redelivery, never stored
    twice either way)."""
    view = header_view(headers)
    position = view.get(RAW_POSITION, b"").decode("utf-8", "replace")
    given = decode_mac(view.get(RAW_VOUCH, b"").decode("ascii", "replace"))
    vouch = view.get(VOUCH_HEADER)
    if given is None or vouch is None or not POSITION_PATTERN.fullmatch(position):
        return None
    expected = mac(key, b"raw_position", vouch, position.encode())
    return position if secrets.compare_digest(given, expected) else None


@dataclass(frozen=True)
class Unproven:
    """A mark or signature that is there but does not hold; `why` says so (no secrets)."""

    why: str


def read_mark(
    key: bytes, purpose: str, record_key: bytes | None, headers: Headers, value: bytes
) -> Principal | Unproven | None:
    """The principal a record's mark proves; None without a mark, Unproven when forged."""
    items = list(headers)
    found = {name: v for name, v in items if name in MARK_HEADERS}
    if not found:
        return None
    text = found.get(PRINCIPAL_HEADER, b"").decode("utf-8", "replace")
    given = decode_mac(found.get(VOUCH_HEADER, b"").decode("ascii", "replace"))
    principal = Principal.parse(text)
    if principal is None or given is None:
        return Unproven(f"the {PRINCIPAL_HEADER}/{VOUCH_HEADER} headers are malformed")
    expected = _record_mac(key, purpose, text, record_key, items, value)
    if not secrets.compare_digest(given, expected):
        return Unproven(f"the {VOUCH_HEADER} header does not hold: the record was not written by intake")
    return principal


class Keys(Protocol):
    """The suite's own keys by name (`ServiceKeys`; a dict in unit tests)."""

    def __getitem__(self, name: str) -> bytes: ...


class ServiceKeys:
    """The suite's own secrets in MongoDB: made once (whoever comes first), then read."""

    SECRETARIAT = "secretariat"  # signs the Secretariat's events (cfamon, the operator token over HTTP)
    INTAKE = "intake"  # marks what intake vouched for (HTTP submissions on raw, accepted events on v1)

    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self._keys = db[SERVICE_KEYS]
        self._loaded: dict[str, bytes] = {}

    async def load(self, *names: str) -> None:
        for name in names:
            self._loaded[name] = await self._get_or_make(name)

    def __getitem__(self, name: str) -> bytes:
        try:
            return self._loaded[name]
        except KeyError:
            raise RuntimeError(f"the {name} key is not loaded (ServiceKeys.load at start)") from None

    async def install(self, name: str, key: bytes) -> None:
        """Put a key made elsewhere in place (a benchmark's or a test's); an existing one stays."""
        with contextlib.suppress(DuplicateKeyError):
            await self._keys.insert_one({"_id": name, "key": Binary(key), "created_at": utc_now()})

    async def _get_or_make(self, name: str) -> bytes:
        doc = await self._keys.find_one({"_id": name})
        if doc is None:  # another process may make it first: then theirs is the key
            await self.install(name, secrets.token_bytes(32))
            doc = await self._keys.find_one({"_id": name})
        assert doc is not None
        return bytes(doc["key"])


# What a mark vouches for: an event submitted over HTTP with a credential (on bp.events.raw),
# or an event intake accepted (on bp.events.v1). A mark of one kind never passes for the other.
SUBMITTED = "submitted"
VALIDATED = "validated"


def marked(key: bytes, purpose: str, principal: Principal, record: KafkaRecord) -> KafkaRecord:
    """`record` with the headers that say `principal` vouched for it (any old mark replaced)."""
    value = record.value or b""
    headers = [(name, v) for name, v in record.headers if name not in MARK_HEADERS]
    extra = mark(key, purpose, principal, record.key, headers, value)
    return replace(record, headers=(*headers, *((n, v.encode()) for n, v in extra.items())))


def vouched_by(key: bytes, purpose: str, record: KafkaRecord) -> Principal | Unproven | None:
    return read_mark(key, purpose, record.key, record.headers, record.value or b"")
