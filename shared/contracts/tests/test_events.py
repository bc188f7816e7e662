"""Every event type round-trips through JSON and the Kafka binary-mode headers."""

from __future__ import annotations

import json
import typing
from datetime import UTC, date, datetime
from enum import Enum
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import BaseModel

from arkiv5_contracts import export
from arkiv5_contracts.cloudevents import MalformedEvent, from_binary, to_binary
from arkiv5_contracts.envelope import Envelope, EventData
from arkiv5_contracts.events import ALL_EVENTS, EVENT_TYPES, UnknownEventType, parse_envelope
from arkiv5_contracts.topics import TOPICS

ROOT = Path(__file__).resolve().parents[3]


def sample_value(annotation: Any, name: str) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, getattr(__import__("types"), "UnionType", None)):
        return sample_value(next(a for a in typing.get_args(annotation) if a is not type(None)), name)
    if origin is list:
        return [sample_value(typing.get_args(annotation)[0], name)]
    if annotation is UUID:
        return uuid4()
    if annotation is bool:
        return True
    if annotation is int:
        return 2026 if name.endswith("aar") else 7
    if annotation is date:
        return date(2026, 11, 21)
    if annotation is datetime:
        return datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return next(iter(annotation))
    if origin is typing.Literal:
        return typing.get_args(annotation)[0]
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):  # a part of an event, e.g. one read
        hints = typing.get_type_hints(annotation)
        return annotation(**{field: sample_value(hints[field], field) for field in annotation.model_fields})
    if annotation is str:
        return "ab" * 32 if name == "sha256" else "application/pdf" if name == "media_type" else "code-1"
    raise AssertionError(f"no sample for {name}: {annotation!r}")


def sample(model: type[EventData]) -> EventData:
    hints = typing.get_type_hints(model)
    return model(**{name: sample_value(hints[name], name) for name in model.model_fields})


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.event_type)
def test_round_trip_json(model: type[EventData]) -> None:
    envelope = Envelope.wrap(sample(model), correlationid=uuid4(), causationid=uuid4())
    again = parse_envelope(envelope.model_dump_json())
    assert again == envelope
    assert type(again.data) is model


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.event_type)
def test_round_trip_kafka_binary_mode(model: type[EventData]) -> None:
    data = sample(model)
    envelope = Envelope.wrap(data, correlationid=uuid4(), causationid=uuid4())
    message = to_binary(envelope)
    headers = dict(message.headers)
    assert headers["ce_type"] == model.event_type.encode()
    assert headers["ce_specversion"] == b"1.0"
    assert headers["ce_correlationid"] == str(envelope.correlationid).encode()
    assert headers["content-type"] == b"application/json"
    assert message.key == data.key().encode()
    assert json.loads(message.value) == json.loads(data.model_dump_json())
    assert from_binary(message.headers, message.value) == envelope


def test_types_are_reverse_dns_versioned_and_unique() -> None:
    assert len(EVENT_TYPES) == len(ALL_EVENTS)
    for model in ALL_EVENTS:
        assert model.event_type.startswith("no.arkiv5.")
        assert model.event_type.rsplit(".", 1)[1].startswith("v")
        assert model.topic in TOPICS
        assert model.event_type in TOPICS[model.topic].event_types


PERSONAL_OR_FREE_TEXT = ("navn", "name", "tittel", "title", "fodselsnummer", "fnr", "adresse", "address", "epost")


@pytest.mark.parametrize("model", ALL_EVENTS, ids=lambda m: m.event_type)
def test_events_carry_no_personal_data_fields(model: type[BaseModel]) -> None:
    for field in model.model_fields:
        assert not any(word in field.lower() for word in PERSONAL_OR_FREE_TEXT), field


def test_missing_header_is_malformed_with_reason() -> None:
    message = to_binary(Envelope.wrap(sample(ALL_EVENTS[0])))
    headers = [(k, v) for k, v in message.headers if k != "ce_id"]
    with pytest.raises(MalformedEvent, match="ce_id"):
        from_binary(headers, message.value)


def test_invalid_payload_is_malformed_without_echoing_values() -> None:
    message = to_binary(Envelope.wrap(sample(ALL_EVENTS[0])))
    with pytest.raises(MalformedEvent) as caught:
        from_binary(message.headers, b'{"saksmappe_id": "12345678901"}')
    assert "12345678901" not in str(caught.value)


def test_unknown_type_is_reported_as_such() -> None:
    message = to_binary(Envelope.wrap(sample(ALL_EVENTS[0])))
    headers = [(k, b"no.arkiv5.future.thing.v9" if k == "ce_type" else v) for k, v in message.headers]
    with pytest.raises(UnknownEventType):
        from_binary(headers, message.value)


def test_exported_schemas_are_current() -> None:
    """docs/contracts is what other systems read: `make contracts` must have been run."""
    for relative, text in export.render().items():
        path = ROOT / "docs" / "contracts" / relative
        assert path.exists(), f"{path} missing: run `make contracts`"
        assert path.read_text(encoding="utf-8") == text, f"{relative} is stale: run `make contracts`"


def test_asyncapi_lists_every_topic_and_message() -> None:
    document = export.asyncapi_document()
    assert set(document["channels"]) == set(TOPICS)
    assert set(document["components"]["messages"]) == {m.__name__ for m in ALL_EVENTS}
