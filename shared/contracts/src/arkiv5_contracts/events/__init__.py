"""Every Arkiv5 event, one module per producing service, and the registry by type.

`EVENT_TYPES` maps a CloudEvents `type` to its payload model; `parse_envelope` turns a JSON
envelope of any known type into a typed `Envelope`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..envelope import Envelope, EventData, envelope_class
from ..topics import TOPICS
from . import access, audit, conversion, dispatch, journal

ALL_EVENTS: list[type[EventData]] = [
    *journal.EVENTS,
    *audit.EVENTS,
    *access.EVENTS,
    *conversion.EVENTS,
    *dispatch.EVENTS,
]

EVENT_TYPES: dict[str, type[EventData]] = {model.event_type: model for model in ALL_EVENTS}

for _model in ALL_EVENTS:
    TOPICS[_model.topic].event_types.append(_model.event_type)


class UnknownEventType(ValueError):
    def __init__(self, event_type: str) -> None:
        super().__init__(f"unknown event type {event_type!r}")
        self.event_type = event_type


def model_for(event_type: str) -> type[EventData]:
    try:
        return EVENT_TYPES[event_type]
    except KeyError:
        raise UnknownEventType(event_type) from None


def envelope_model(event_type: str) -> type[BaseModel]:
    return envelope_class(model_for(event_type))


def parse_envelope(raw: dict[str, Any] | str | bytes) -> Envelope[Any]:
    """Validate a structured-mode envelope (dict or JSON) against the model of its type."""
    if isinstance(raw, (str, bytes)):
        import json

        raw = json.loads(raw)
    assert isinstance(raw, dict)
    return envelope_model(str(raw.get("type")))(**raw)  # type: ignore[return-value]


__all__ = ["ALL_EVENTS", "EVENT_TYPES", "UnknownEventType", "model_for", "parse_envelope"]
