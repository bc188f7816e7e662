"""The CloudEvents 1.0 envelope every Arkiv5 event travels in.

An event is an `EventData` model (the payload: ids, codes, dates and counts only) wrapped in
an `Envelope` carrying the CloudEvents context attributes plus our two extensions,
`correlationid` (the request or flow that started it all) and `causationid` (the event or
request that directly caused this one). Extension names are lower-case letters and digits
only, as CloudEvents requires.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar, Generic, TypeVar, cast
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"
DATA_CONTENT_TYPE = "application/json"


class EventData(BaseModel):
    """Base class of every event payload.

    Subclasses set `event_type` (reverse-DNS, versioned), `topic` and `source_service`, and
    implement `key()`: the aggregate id that becomes the Kafka message key and the
    CloudEvents `subject`, so the events of one aggregate stay in order.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    topic: ClassVar[str]
    source_service: ClassVar[str]

    def key(self) -> str:  # pragma: no cover - every concrete event overrides it
        raise NotImplementedError


D = TypeVar("D", bound=EventData)


class Envelope(BaseModel, Generic[D]):
    """CloudEvents 1.0 context attributes around one event payload."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: UUID = Field(default_factory=uuid4, description="Unique per event; consumers deduplicate on it")
    source: str = Field(description="URI reference of the producing service, e.g. /arkiv5/journal")
    type: str = Field(description="Reverse-DNS, versioned event type")
    specversion: str = SPEC_VERSION
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    subject: str = Field(description="The aggregate id; also the Kafka message key")
    datacontenttype: str = DATA_CONTENT_TYPE
    correlationid: UUID = Field(description="Id of the request or flow this event belongs to")
    causationid: UUID | None = Field(default=None, description="Id of the event or request that caused this one")
    data: D

    @classmethod
    def wrap(
        cls,
        data: EventData,
        *,
        correlationid: UUID | None = None,
        causationid: UUID | None = None,
        time: datetime | None = None,
    ) -> Envelope[Any]:
        """Put `data` into a fresh envelope; a new flow gets a new correlation id."""
        return envelope_class(type(data))(
            source=source_of(data.source_service),
            type=data.event_type,
            subject=data.key(),
            correlationid=correlationid or uuid4(),
            causationid=causationid,
            data=data,
            time=time if time is not None else datetime.now(UTC),
        )

    @property
    def topic(self) -> str:
        return self.data.topic


def source_of(service: str) -> str:
    return f"/arkiv5/{service}"


# One parametrised envelope per event model, kept for the life of the process. Pydantic
# caches `Envelope[model]` only weakly, so the class was rebuilt (fields collected, schema
# and serialiser generated: ~2 ms of CPU) for most events once the last one was collected.
_ENVELOPE_CLASSES: dict[type[EventData], type[Envelope[Any]]] = {}


def envelope_class(model: type[EventData]) -> type[Envelope[Any]]:
    """`Envelope[model]`: the envelope that validates and serialises `model` as its data.

    Written as a call because the data model is known only at run time, which a type
    checker cannot see through `Envelope[...]` with a variable.
    """
    cls = _ENVELOPE_CLASSES.get(model)
    if cls is None:
        cls = _ENVELOPE_CLASSES[model] = cast("type[Envelope[Any]]", Envelope.__class_getitem__(model))
    return cls
