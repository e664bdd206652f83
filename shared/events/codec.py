"""Kafka encoding of events: decode binary or structured CloudEvents, encode the canonical form.

Decoding goes through the official CloudEvents SDK, so whatever it produces we read;
every failure becomes a `schema` rejection that names the field at fault.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from cloudevents.core.bindings import kafka as ce_kafka
from cloudevents.core.exceptions import CloudEventValidationError
from cloudevents.core.formats.json import JSONFormat
from cloudevents.core.v1.event import CloudEvent
from dateutil.parser import isoparse
from pydantic import StringConstraints, TypeAdapter, ValidationError

from shared.adapters.kafka_batches import UnreadableBatch
from shared.domain.personal_data import personal_data_in
from shared.events.envelope import Envelope, Event, extension_problem
from shared.events.models import DATA_MODELS, IDENTIFIER
from shared.events.rejections import (
    FieldError,
    Rejected,
    Rejection,
    RejectionReason,
    schema_rejection,
)
from shared.events.signing import proof_of

MAX_EVENT_BYTES = 1024 * 1024  # the default of CFA_MAX_EVENT_BYTES (intake's setting)
# The SDK makes up an id, a time and a specversion when they are missing; the contract
# needs the sender's own (identity, corrections), so their absence is a rejection.
REQUIRED_ATTRIBUTES = ("specversion", "id", "source", "type", "time")
_FORMAT = JSONFormat()


@dataclass(frozen=True)
class KafkaRecord:
    """One consumed Kafka message, as bytes, with where it came from."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    timestamp_ms: int | None = None  # when the broker got it (producer's create time)

    @property
    def size(self) -> int:
        """Bytes of the value and the headers (headers count: anyone can add them)."""
        return len(self.value or b"") + sum(len(name) + len(value) for name, value in self.headers)

    @property
    def position(self) -> str:
        return f"{self.topic}/{self.partition}/{self.offset}"


def _schema(field: str, message: str) -> Rejected:
    return Rejected(Rejection.of(RejectionReason.SCHEMA, field, message))


def header_view(headers: Iterable[tuple[str, bytes]]) -> dict[str, bytes]:
    """The headers as the decoder reads them: names in lower case, the last of a name wins.
    (Intake's marks cover exactly this view, so no case variant or repeat slips past them.)"""
    return {name.lower(): value for name, value in headers}


def _headers(record: KafkaRecord) -> dict[str, bytes]:
    for name, value in record.headers:
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            raise _schema(f"header {name[:40]}", "is not UTF-8") from None
    return header_view(record.headers)


def _check_time(raw: Any, field: str) -> None:
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    if not isinstance(raw, str):
        raise _schema(field, "must be an RFC 3339 timestamp string")
    try:
        isoparse(raw)
    except (ValueError, OverflowError):
        raise _schema(field, "is not an RFC 3339 timestamp") from None


def _require(present: Iterable[str]) -> None:
    names = set(present)
    missing = [name for name in REQUIRED_ATTRIBUTES if name not in names]
    if missing:
        errors = tuple(FieldError(name, "is required") for name in missing)
        raise Rejected(Rejection(RejectionReason.SCHEMA, errors))


def json_document(raw: bytes, field: str) -> Any:
    """The JSON in `raw`; a `schema` rejection naming `field` when it is not UTF-8 JSON."""
    try:
        return json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise _schema(field, "is not UTF-8") from None
    except json.JSONDecodeError as error:
        raise _schema(field, f"is not JSON ({error.msg} at position {error.pos})") from None
    except ValueError:  # an integer of thousands of digits (Python refuses to convert it)
        raise _schema(field, "holds a number too long to read") from None
    except RecursionError:
        raise _schema(field, "is nested too deeply") from None


def _structured_attributes(value: bytes) -> None:
    """Check what the SDK's structured reader assumes, to name the field when it is not so."""
    document = json_document(value, "value")
    if not isinstance(document, dict):
        raise _schema("value", "a structured CloudEvent must be a JSON object")
    _require(document)
    if "time" in document:
        _check_time(document["time"], "time")
    if "data_base64" in document:
        raise _schema("data_base64", "event data must be JSON (data), not base64")


def _sdk_decode(record: KafkaRecord) -> CloudEvent:
    headers = _headers(record)
    binary = any(name.startswith("ce_") for name in headers)
    value = record.value or b""
    if binary:
        _require(name.removeprefix("ce_") for name in headers)
        _check_time(headers["ce_time"], "time")
    if not binary:
        _structured_attributes(value)
    message = ce_kafka.KafkaMessage(headers=headers, key=record.key, value=value)
    try:
        event = ce_kafka.from_kafka(message, _FORMAT)
    except CloudEventValidationError as error:
        errors = tuple(
            FieldError(attr, "; ".join(str(e) for e in problems)) for attr, problems in error.errors.items()
        )
        raise Rejected(Rejection(RejectionReason.SCHEMA, errors)) from None
    except (ValueError, TypeError, AttributeError, KeyError) as error:
        raise _schema("value", f"is not a CloudEvent ({type(error).__name__})") from None
    if not isinstance(event, CloudEvent):
        raise _schema("specversion", "must be 1.0")
    return event


def decode_event(record: KafkaRecord, max_bytes: int = MAX_EVENT_BYTES) -> Event:
    """A record of bp.events.raw (or .v1) to a schema-valid Event; raises Rejected, and only
    Rejected, whatever the bytes: a consumer must never stop on one message."""
    try:
        return _decode(record, max_bytes)
    except Rejected:
        raise
    except RecursionError:
        raise _schema("value", "is nested too deeply") from None
    except Exception as error:
        raise _schema("value", f"cannot be decoded ({type(error).__name__})") from None


def _decode(record: KafkaRecord, max_bytes: int) -> Event:
    if _unreadable(record):
        assert isinstance(record.value, UnreadableBatch)
        raise Rejected(Rejection.of(RejectionReason.UNREADABLE, "record batch", record.value.description))
    if record.value is None or not record.value:
        raise _schema("value", "the message is empty")
    size = record.size
    if size > max_bytes:
        raise _schema(
            "value", f"the message is {size} bytes with its headers, over the {max_bytes}-byte limit"
        )
    cloud_event = _sdk_decode(record)
    attributes = dict(cloud_event.get_attributes())
    data = cloud_event.get_data()
    proof = proof_of(attributes, data)
    if (problem := extension_problem(attributes)) is not None:
        raise Rejected(Rejection.of(RejectionReason.SCHEMA, *problem), proof)
    try:
        envelope = Envelope.model_validate(attributes)
    except ValidationError as error:
        raise Rejected(schema_rejection(error, ""), proof) from None
    if not isinstance(data, dict):
        raise Rejected(Rejection.of(RejectionReason.SCHEMA, "data", "must be a JSON object"), proof)
    try:
        model = DATA_MODELS[envelope.type].model_validate(data)
    except ValidationError as error:
        raise Rejected(schema_rejection(error, "data"), proof) from None
    return Event(envelope=envelope, data=model, proof=proof)


@dataclass(frozen=True)
class Claims:
    """What a message says it is, read without believing it: for a refusal that could not
    decode it (the DLQ's event_id header, /v1/rejections, the metrics' type label)."""

    id: str | None
    type: str | None


_CLAIMED = TypeAdapter(Annotated[str, StringConstraints(min_length=1, max_length=256), IDENTIFIER])


def claims_of(record: KafkaRecord) -> Claims:
    """The ce_id and ce_type headers (binary mode), else the "id" and "type" of a structured
    body that is a JSON object; each kept only when it would pass as an identifier."""
    view = header_view(record.headers)
    if any(name.startswith("ce_") for name in view):
        claimed_id, claimed_type = _text(view.get("ce_id")), _text(view.get("ce_type"))
    else:
        try:
            body = json_document(record.value or b"", "value") if not _unreadable(record) else None
        except Rejected:
            body = None
        document = body if isinstance(body, dict) else {}
        claimed_id, claimed_type = document.get("id"), document.get("type")
    return Claims(_believable(claimed_id), _believable(claimed_type))


def _text(raw: bytes | None) -> str | None:
    try:
        return raw.decode("utf-8") if raw is not None else None
    except UnicodeDecodeError:
        return None


def _unreadable(record: KafkaRecord) -> bool:
    return isinstance(record.value, UnreadableBatch)


def _believable(claimed: object) -> str | None:
    """A claimed id or type, kept when it would pass as an identifier: printable, at most 256
    characters, no e-mail address or phone number (it is stored with the refusal)."""
    if not isinstance(claimed, str):
        return None
    try:
        text = _CLAIMED.validate_python(claimed)
    except ValidationError:
        return None
    return text if personal_data_in(text) is None else None


def decode_canonical(record: KafkaRecord) -> Event:
    """An event of bp.events.v1, which intake wrote in the canonical structured form: read
    straight into the models (no SDK round trip); anything else takes the full path."""
    try:
        if isinstance(record.value, UnreadableBatch):
            raise ValueError(record.value.problem)
        document = json.loads(record.value or b"")
        data = document.pop("data")
        envelope = Envelope.model_validate(document)
        return Event(envelope=envelope, data=DATA_MODELS[envelope.type].model_validate(data))
    except (ValueError, TypeError, KeyError, AttributeError, ValidationError):
        return decode_event(record, max_bytes=record.size + 1)


def data_json(event: Event) -> dict[str, Any]:
    return event.data.model_dump(mode="json", exclude_none=True)


STRUCTURED_HEADERS = {"content-type": _FORMAT.get_content_type()}


def encode_structured(event: Event) -> tuple[bytes, dict[str, str], bytes]:
    """Kafka (key, headers, value) of the canonical structured form published on bp.events.v1:
    the CloudEvents JSON format, written directly (the event is valid already)."""
    document = {**event.attributes(), "time": event.envelope.time.isoformat(), "data": data_json(event)}
    value = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return event.project_id.encode("utf-8"), dict(STRUCTURED_HEADERS), value


def record_from(
    topic: str,
    partition: int,
    offset: int,
    key: bytes | None,
    value: bytes | None,
    headers: Iterable[tuple[str, bytes]] | Mapping[str, bytes],
    timestamp_ms: int | None = None,
) -> KafkaRecord:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return KafkaRecord(topic, partition, offset, key, value, tuple(items), timestamp_ms)
