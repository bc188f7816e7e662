"""CloudEvents 1.0 Kafka protocol binding, binary content mode, as plain bytes.

The JSON payload is the message value, the context attributes travel as `ce_*` headers and
the message key is the aggregate id. Kept free of any Kafka client so every consumer of our
events can use it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from .envelope import DATA_CONTENT_TYPE, Envelope, envelope_class
from .events import UnknownEventType, model_for

CONTENT_TYPE_HEADER = "content-type"
_REQUIRED = ("id", "source", "type", "specversion")
_OPTIONAL = ("time", "subject", "correlationid", "causationid")


class MalformedEvent(ValueError):
    """A message that is not a valid Arkiv5 CloudEvent; it belongs in the dead-letter topic."""


@dataclass(frozen=True)
class BinaryMessage:
    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]]

    def header(self, name: str) -> str | None:
        for header_name, raw in self.headers:
            if header_name == name:
                return raw.decode("utf-8")
        return None


def to_binary(envelope: Envelope[Any]) -> BinaryMessage:
    attributes: dict[str, Any] = {
        "id": envelope.id,
        "source": envelope.source,
        "type": envelope.type,
        "specversion": envelope.specversion,
        "time": envelope.time.isoformat(),
        "subject": envelope.subject,
        "correlationid": envelope.correlationid,
        "causationid": envelope.causationid,
    }
    headers = [(CONTENT_TYPE_HEADER, envelope.datacontenttype.encode())]
    headers += [(f"ce_{name}", str(value).encode()) for name, value in attributes.items() if value is not None]
    return BinaryMessage(
        key=envelope.subject.encode(),
        value=envelope.data.model_dump_json().encode(),
        headers=headers,
    )


def from_binary(headers: list[tuple[str, bytes]] | tuple[tuple[str, bytes], ...], value: bytes) -> Envelope[Any]:
    """Rebuild the typed envelope; raises `MalformedEvent` with the reason when it cannot."""
    try:
        attrs = {name[3:]: raw.decode("utf-8") for name, raw in headers if name.startswith("ce_")}
        content_type = next((raw.decode() for name, raw in headers if name == CONTENT_TYPE_HEADER), None)
    except UnicodeDecodeError as exc:
        raise MalformedEvent("a ce_ header is not UTF-8") from exc
    missing = [name for name in _REQUIRED if name not in attrs]
    if missing:
        raise MalformedEvent(f"missing CloudEvents header(s): {', '.join('ce_' + m for m in missing)}")
    if content_type is not None and content_type.split(";")[0].strip() != DATA_CONTENT_TYPE:
        raise MalformedEvent(f"unsupported content-type {content_type!r}")
    try:
        model = model_for(attrs["type"])
        data = model.model_validate_json(value)
        extra: dict[str, Any] = {"time": datetime.fromisoformat(attrs["time"])} if "time" in attrs else {}
        return envelope_class(model)(
            id=UUID(attrs["id"]),
            source=attrs["source"],
            type=attrs["type"],
            specversion=attrs["specversion"],
            subject=attrs.get("subject") or data.key(),
            correlationid=UUID(attrs["correlationid"]) if "correlationid" in attrs else UUID(attrs["id"]),
            causationid=UUID(attrs["causationid"]) if "causationid" in attrs else None,
            data=data,
            **extra,
        )
    except (MalformedEvent, UnknownEventType):
        raise
    except (ValueError, json.JSONDecodeError) as exc:
        # pydantic's ValidationError is a ValueError; keep only the first line (no input values).
        raise MalformedEvent(f"invalid {attrs.get('type')} event: {_first_line(exc)}") from exc


def _first_line(exc: Exception) -> str:
    from pydantic import ValidationError

    if isinstance(exc, ValidationError):
        parts = [f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors(include_input=False)[:3]]
        return "; ".join(parts)
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
