"""KS's own OpenAPI files (copied unchanged into `reference/svarut/`) as JSON-schema validators.

Both the client (every request it sends, every answer it reads) and the simulator (every
request it receives, every answer it gives) validate against these, so our idea of the
API cannot drift from KS's. OpenAPI 3.0 schemas are JSON Schema draft 4 plus a few
keywords; `format: uuid` and `date-time` are checked too.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator, FormatChecker

SEND_V3 = "openapi-v3/forsendelse-send-api-v3.json"
STATUS_V3 = "openapi-v3/forsendelse-status-api-v3.json"
EKSTERNREF_V2 = "openapi-v2/forsendelse-eksternref-api-v2.json"

FORSENDELSE_SCHEMA = {"person": "PersonForsendelse", "organisasjon": "OrganisasjonForsendelse", "print": "PrintForsendelse"}

_formats = FormatChecker()


@_formats.checks("uuid", raises=ValueError)
def _is_uuid(value: object) -> bool:
    return not isinstance(value, str) or bool(uuid.UUID(value))


@_formats.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if isinstance(value, str):
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            raise ValueError("date-time needs an offset")
    return True


class SchemaViolation(ValueError):
    """A message does not follow KS's schema. The text names fields, never their values."""


@cache
def document(name: str) -> dict[str, Any]:
    text = resources.files("arkiv5_svarut_gateway").joinpath("reference/svarut", name).read_text("utf-8")
    return json.loads(text)


@cache
def _validator(name: str, schema_name: str) -> Draft4Validator:
    spec = document(name)
    # The root holds the components, so `#/components/schemas/...` references resolve.
    return Draft4Validator({"$ref": f"#/components/schemas/{schema_name}", "components": spec["components"]},
                           format_checker=_formats)


def validate(name: str, schema_name: str, instance: Any) -> None:
    errors = sorted(_validator(name, schema_name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    if errors:
        raise SchemaViolation("; ".join(_describe(e) for e in errors[:5]))


def _describe(error: Any) -> str:
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: fails '{error.validator}' ({error.validator_value!r})"[:300] if error.validator != "required" \
        else f"{where}: {error.message}"[:300]


def validate_forsendelse(channel: str, forsendelse: Any) -> None:
    validate(SEND_V3, FORSENDELSE_SCHEMA[channel], forsendelse)


def validate_send_response(body: Any) -> None:
    validate(SEND_V3, "SendForsendelseResponse", body)


def validate_status_request(body: Any) -> None:
    validate(STATUS_V3, "Forsendelser", body)


def validate_status_response(body: Any) -> None:
    validate(STATUS_V3, "ForsendelseStatuser", body)


def validate_eksternref_response(body: Any) -> None:
    validate(EKSTERNREF_V2, "EksternRefOppslagResponse", body)


def validate_error(body: Any) -> None:
    validate(SEND_V3, "ErrorMessage", body)


def paths(name: str) -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in one file."""
    return {(method.upper(), path) for path, ops in document(name)["paths"].items() for method in ops}


def status_enum() -> list[str]:
    return list(document(STATUS_V3)["components"]["schemas"]["ForsendelseStatus"]["properties"]["status"]["enum"])
