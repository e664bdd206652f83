"""The CloudEvents 1.0 envelope of the contract, and a validated event (envelope + data)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, StringConstraints, field_validator

from shared.events.models import ONE_LINE, EventData, EventId, EventType, check_one_line
from shared.events.signing import Proof

SOURCE_PATTERN = re.compile(r"^/projects/(?P<project_id>[A-Z0-9][A-Z0-9-]{2,63})$")
JSON_CONTENT_TYPE = re.compile(r"^application/json\s*(;.*)?$", re.IGNORECASE)


class Envelope(BaseModel):
    """CloudEvents attributes; other extension attributes are tolerated, as the spec asks."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: Literal["1.0"]
    id: EventId
    source: str
    type: EventType
    time: AwareDatetime
    datacontenttype: str | None = None
    subject: Annotated[str, StringConstraints(max_length=256), ONE_LINE] | None = None
    partitionkey: str | None = None

    @field_validator("source")
    @classmethod
    def _project_source(cls, value: str) -> str:
        if not SOURCE_PATTERN.match(value):
            raise ValueError("must be /projects/<project_id> with a registered project id")
        return value

    @field_validator("datacontenttype")
    @classmethod
    def _json_data(cls, value: str | None) -> str | None:
        if value is not None and not JSON_CONTENT_TYPE.match(value):
            raise ValueError("must be application/json")
        return value

    @property
    def source_project_id(self) -> str:
        match = SOURCE_PATTERN.match(self.source)
        assert match is not None  # checked by the validator
        return match["project_id"]


MAX_EXTENSIONS = 16
MAX_EXTENSION_CHARS = 256


def extension_problem(attributes: dict[str, Any]) -> tuple[str, str] | None:
    """(attribute, why) of the first extension attribute that is too long or not printable
    text. They are outside what a signature covers, so anyone could add them to a copy of a
    signed event: they must stay small and harmless."""
    extensions = [(name, value) for name, value in attributes.items() if name not in Envelope.model_fields]
    if len(extensions) > MAX_EXTENSIONS:
        return "extensions", f"{len(extensions)} extension attributes, over the limit of {MAX_EXTENSIONS}"
    for name, value in extensions:
        if not isinstance(value, str):
            continue
        if len(value) > MAX_EXTENSION_CHARS:
            return name[:40], f"is over {MAX_EXTENSION_CHARS} characters"
        try:
            check_one_line(value)
        except ValueError as error:
            return name[:40], str(error)
    return None


@dataclass(frozen=True)
class Event:
    """An event whose envelope and data passed the schema checks, with the proof of origin
    it carried (a signature), if any."""

    envelope: Envelope
    data: EventData
    proof: Proof | None = None

    @property
    def key(self) -> str:
        """Unique per event: the contract makes (source, id) the identity."""
        return event_key(self.envelope.source, self.envelope.id)

    @property
    def type(self) -> EventType:
        return self.envelope.type

    @property
    def project_id(self) -> str:
        return self.data.project_id

    def attributes(self) -> dict[str, Any]:
        attrs: dict[str, Any] = {
            "specversion": "1.0",
            "id": self.envelope.id,
            "source": self.envelope.source,
            "type": str(self.envelope.type),
            "time": self.envelope.time,
            "datacontenttype": "application/json",
            "partitionkey": self.data.project_id,
        }
        if self.envelope.subject is not None:
            attrs["subject"] = self.envelope.subject
        return attrs


def event_key(source: str, event_id: str) -> str:
    # '#' cannot occur in a source (/projects/<id>), so the split is unambiguous.
    return f"{source}#{event_id}"
