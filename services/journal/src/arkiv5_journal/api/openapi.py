"""What the OpenAPI document says about the routes that read or answer more than JSON.

Routes that read their body themselves (uploads, multipart registration, merge-patch) or
answer something else (files, CSV) declare it here, so the document describes what the
service really takes and answers: the kit renders every 4xx/5xx as problem+json.
"""

from __future__ import annotations

from typing import Any

from arkiv5_kit.errors import model_schema

BINARY = {"type": "string", "format": "binary"}

FILE_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "description": "The file's bytes, with the media type recorded for it (Content-Type), its SHA-256 (ETag, "
                   "Digest) and its length",
    # Any media type (*/*); application/octet-stream first, because client generators
    # (openapi-python-client, openapi-generator) recognise a file download only by it.
    "content": {"application/octet-stream": {"schema": BINARY}, "*/*": {"schema": BINARY}},
}}
"""A download: the document's own media type, whatever it is."""

TAR_RESPONSE: dict[int | str, dict[str, Any]] = {200: {
    "description": "The extraction as one tar (Content-Type application/x-tar), streamed from disk",
    # application/octet-stream first, as for FILE_RESPONSE: generators know a download only by it.
    "content": {"application/octet-stream": {"schema": BINARY}, "application/x-tar": {"schema": BINARY}},
}}
"""An arkivuttrekk's tar."""

CSV_OR_JSON: dict[int | str, dict[str, Any]] = {200: {
    "description": "The report as JSON, or as CSV (UTF-8, a header line first) with format=csv or Accept: text/csv",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}}
"""A report that also answers CSV; the JSON schema comes from the route's response model."""

UPLOAD_BODY: dict[str, Any] = {"requestBody": {"required": True, "description": (
    "The document's bytes, streamed (no multipart). Content-Type is the media type as the client knows it; "
    "the journal records what the bytes are."), "content": {"application/octet-stream": {"schema": BINARY}}}}
"""A single-document upload: the body is the file."""

IF_MATCH_PARAMETER = {
    # Declared optional because its absence has its own answer, 428 (RFC 6585), not a 400.
    "name": "If-Match", "in": "header", "required": False, "schema": {"type": "string", "maxLength": 200},
    "description": "The ETag of the record as read (GET). Needed: without it the correction is refused with 428; "
                   "a record changed since it was read is refused with 412",
}

CORRECTION_RESPONSES: dict[int | str, dict[str, Any]] = {
    412: {"description": "The record changed since it was read (If-Match is not its ETag)"},
    428: {"description": "If-Match is missing: a correction needs the ETag as read"},
}


def merge_patch(model: type[Any]) -> dict[str, Any]:
    """`openapi_extra` of a correction: JSON merge-patch (RFC 7386) of `model`, with If-Match."""
    schema = model_schema(model)
    return {
        "parameters": [IF_MATCH_PARAMETER],
        "requestBody": {"required": True, "content": {
            "application/merge-patch+json": {"schema": schema},
            "application/json": {"schema": {"$ref": schema["$ref"]}},
        }},
    }


def registration_body(model: type[Any], metadata_part: str) -> dict[str, Any]:
    """`openapi_extra` of registration: the journalpost as JSON, or multipart with the journalpost
    as a JSON part and one file part per document (dokumentbeskrivelse[].fil names the part)."""
    schema = model_schema(model)
    return {"requestBody": {"required": True, "content": {
        "application/json": {"schema": schema},
        "multipart/form-data": {
            "schema": {
                "type": "object", "required": [metadata_part],
                "properties": {metadata_part: {
                    "$ref": schema["$ref"],
                    "description": "The journalpost as JSON (part Content-Type application/json); its "
                                   "dokumentbeskrivelse entries name the file parts by their part name"}},
                "additionalProperties": {**BINARY, "description": "A document: one file part per document"},
            },
            "encoding": {metadata_part: {"contentType": "application/json"}},
        },
    }}}


ARCHIVAL_BODY: dict[str, Any] = {"requestBody": {"required": True, "description": "The archival variant's bytes (a PDF/A), streamed",
                                                "content": {"application/octet-stream": {"schema": BINARY}}}}


def attachment_body(metadata: type[Any]) -> dict[str, Any]:
    """`openapi_extra` of filing an e-mail attachment: its JSON metadata and the file, as multipart."""
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {
        "schema": {"type": "object", "required": ["metadata", "file"],
                   "properties": {"metadata": model_schema(metadata), "file": BINARY}},
        "encoding": {"metadata": {"contentType": "application/json"}},
    }}}}


CASE_LINKS = {
    link: {"operationId": operation, "parameters": {"saksmappe_id": "$response.body#/systemID"}}
    for link, operation in {
        # operationIds are the handlers' names (arkiv5_kit.apidocs.operation_id);
        # test_openapi_clients checks that every link names an operation that exists.
        "RegisterJournalpost": "register_journalpost",
        "GetSaksmappe": "get_saksmappe",
        "CloseSaksmappe": "close_saksmappe",
    }.items()
}
"""What a client does next with a new case (OpenAPI links: the stateful fuzzing follows them)."""
