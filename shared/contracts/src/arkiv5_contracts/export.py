"""Export the JSON Schema of every event and an AsyncAPI 3.0 document of our topics.

`python -m arkiv5_contracts.export DIR` writes `DIR/events/<type>.json` and
`DIR/asyncapi.json`, so systems outside Arkiv5 can consume our events without our code.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .envelope import EventData, envelope_class
from .events import ALL_EVENTS
from .topics import TOPICS

ASYNCAPI_VERSION = "3.0.0"


def event_schema(model: type[EventData]) -> dict[str, Any]:
    schema = envelope_class(model).model_json_schema(mode="serialization")
    schema["title"] = model.event_type
    schema["description"] = (model.__doc__ or model.__name__).strip()
    schema["properties"]["type"]["const"] = model.event_type
    schema["properties"]["source"]["const"] = f"/arkiv5/{model.source_service}"
    return schema


def asyncapi_document() -> dict[str, Any]:
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for model in ALL_EVENTS:
        name = model.__name__
        messages[name] = {
            "name": model.event_type,
            "title": name,
            "summary": (model.__doc__ or name).strip().splitlines()[0],
            "contentType": "application/json",
            "bindings": {"kafka": {"key": {"type": "string", "description": TOPICS[model.topic].key}}},
            "headers": {
                "type": "object",
                "description": "CloudEvents 1.0 Kafka binding, binary mode",
                "properties": {
                    "ce_id": {"type": "string", "format": "uuid"},
                    "ce_source": {"type": "string", "const": f"/arkiv5/{model.source_service}"},
                    "ce_type": {"type": "string", "const": model.event_type},
                    "ce_specversion": {"type": "string", "const": "1.0"},
                    "ce_time": {"type": "string", "format": "date-time"},
                    "ce_subject": {"type": "string"},
                    "ce_correlationid": {"type": "string", "format": "uuid"},
                    "ce_causationid": {"type": "string", "format": "uuid"},
                    "content-type": {"type": "string", "const": "application/json"},
                },
                "required": ["ce_id", "ce_source", "ce_type", "ce_specversion", "ce_correlationid"],
            },
            "payload": model.model_json_schema(mode="serialization"),
        }
    for spec in TOPICS.values():
        channel_messages = {
            m.__name__: {"$ref": f"#/components/messages/{m.__name__}"} for m in ALL_EVENTS if m.topic == spec.name
        }
        channels[spec.name] = {
            "address": spec.name,
            "description": f"{spec.description}. Key: {spec.key}. Dead letters: {spec.name}.dlt",
            "messages": channel_messages,
        }
        operations[f"publish-{spec.name}"] = {
            "action": "send",
            "channel": {"$ref": f"#/channels/{spec.name}"},
            "summary": f"Published by the {spec.producer} service",
            "messages": [{"$ref": f"#/channels/{spec.name}/messages/{m}"} for m in channel_messages],
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Arkiv5 events",
            "version": "1",
            "description": "Events of the Arkiv5 services. Payloads carry ids, codes and dates only.",
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages},
    }


def render() -> dict[str, str]:
    """Every exported file as relative path -> text; deterministic, so drift is testable."""
    files = {
        f"events/{model.event_type}.json": json.dumps(event_schema(model), indent=2, ensure_ascii=False) + "\n"
        for model in ALL_EVENTS
    }
    files["asyncapi.json"] = json.dumps(asyncapi_document(), indent=2, ensure_ascii=False) + "\n"
    return files


def write(directory: Path) -> list[Path]:
    written = []
    for relative, text in render().items():
        path = directory / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/contracts")
    for path in write(target):
        print(path)
