"""CloudEvents over HTTP (binary, structured, batch) as the Kafka records intake already reads.

An HTTP event becomes the Kafka message the same client would have produced (binary:
`ce-` headers to `ce_` headers; structured: the body as the value), so one decoder and
one set of checks give the same verdict whichever way an event arrives.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from urllib.parse import unquote

from shared.events.codec import KafkaRecord, json_document
from shared.events.rejections import Rejected, Rejection, RejectionReason

STRUCTURED = "application/cloudevents+json"
BATCH = "application/cloudevents-batch+json"
HTTP_TOPIC = "http"


def media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def is_batch(headers: Mapping[str, str]) -> bool:
    return media_type(headers) == BATCH


def _schema(field: str, message: str) -> Rejected:
    return Rejected(Rejection.of(RejectionReason.SCHEMA, field, message))


def _record(
    request_id: str, index: int, key: bytes | None, value: bytes, headers: dict[str, bytes]
) -> KafkaRecord:
    # Where it came from, for the DLQ headers: the request and the event's place in it.
    return KafkaRecord(f"{HTTP_TOPIC}/{request_id}", index, 0, key, value, tuple(headers.items()))


def event_record(request_id: str, key: bytes | None, headers: Mapping[str, str], body: bytes) -> KafkaRecord:
    """One event, binary (any `ce-` header) or structured, as SDK's `from_http` tells them apart."""
    lowered = {name.lower(): value for name, value in headers.items()}
    if any(name.startswith("ce-") for name in lowered):
        kafka_headers = {
            f"ce_{name[3:]}": unquote(value).encode("utf-8")  # HTTP percent-encodes, Kafka does not
            for name, value in lowered.items()
            if name.startswith("ce-")
        }
        # The data is JSON (the contract's only kind); an SDK that sends no Content-Type says
        # so by default. Always set, so nothing added on the way (an empty content-type from
        # a publisher) changes the record intake marked.
        kafka_headers["content-type"] = lowered.get("content-type", "application/json").encode("utf-8")
        return _record(request_id, 0, key, body, kafka_headers)
    if media_type(lowered) != STRUCTURED:
        raise _schema(
            "content-type",
            f"must be {STRUCTURED} (structured mode) or the event must come in ce- headers "
            f"(binary mode); got {lowered.get('content-type', 'none')!r}",
        )
    return _record(request_id, 0, key, body, {"content-type": STRUCTURED.encode()})


def batch_records(request_id: str, key: bytes | None, body: bytes, max_events: int) -> list[KafkaRecord]:
    """The events of an `application/cloudevents-batch+json` body (a JSON array of
    structured events), each as its own structured record."""
    document = json_document(body, "body")
    if not isinstance(document, list):
        raise _schema("body", "a batch must be a JSON array of CloudEvents")
    if not document:
        raise _schema("body", "the batch is empty")
    if len(document) > max_events:
        raise _schema("body", f"the batch has {len(document)} events, over the limit of {max_events}")
    content_type = {"content-type": STRUCTURED.encode()}
    return [
        _record(request_id, index, key, json.dumps(item, ensure_ascii=False).encode("utf-8"), content_type)
        for index, item in enumerate(document)
    ]
