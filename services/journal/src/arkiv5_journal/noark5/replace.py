"""PUT of a whole object, as the changes it makes: the correctable fields that differ.

A Noark 5 client PUTs the object as it read it, with its changes. The fields the server
sets are ignored; a correctable field that differs becomes part of a merge-patch through
`corrections` (the same rules, ETag and log as PATCH); any other field that differs is
refused by name, since it cannot change after registration. A field left out stays as it is.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from ..errors import ImmutableField


def correctable(model: type[BaseModel]) -> frozenset[str]:
    return frozenset(field.alias or name for name, field in model.model_fields.items())


def _plain(value: Any) -> Any:
    """A value as compared: a code by its kode (`"I"` and `{"kode": "I", …}` are one code), no nulls."""
    if isinstance(value, dict):
        if "kode" in value:
            return value["kode"]
        return {name: _plain(inner) for name, inner in value.items() if inner is not None and name != "_links"}
    if isinstance(value, list):
        return [_plain(inner) for inner in value]
    return value


def changes(body: dict[str, Any], current: dict[str, Any], *, fields: frozenset[str]) -> dict[str, Any]:
    """The merge-patch a PUT of `body` over `current` makes (`body` without what the server sets)."""
    patch = {}
    for name, value in body.items():
        if _plain(value) == _plain(current.get(name)):
            continue
        if name not in fields:
            raise ImmutableField(f"{name} cannot be changed; PUT the object as read with only correctable "
                                 "fields changed.", field=name)
        patch[name] = value
    return patch
