"""Registering a journalpost: JSON or multipart with its documents, translated into the one command."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Unprocessable
from arkiv5_kit.proxy import location

from ... import formdata, idempotency, visibility
from ...errors import UnsupportedMediaType
from ...journalpost.commands import NewDocument
from ...journalpost.register import Registered, check_may_register, register
from ...schemas import (
    JournalpostCreate,
    JournalpostOut,
)
from ...store.pre_upload import pre_upload_session
from .. import openapi, translate
from ..deps import (
    IDEMPOTENCY_KEY_HEADER,
    Writer,
    blobs_of,
    body_chunks,
    capped_body,
    check_length,
    ctx_of,
    db_of,
    journalpost_view,
)

router = APIRouter(tags=["journal"])


METADATA_PART = "journalpost"
_REGISTRATION_BODY = openapi.registration_body(JournalpostCreate, METADATA_PART)
MAX_METADATA_BYTES = 1024 * 1024


def _validated(raw: bytes, *, location: tuple[str, ...]) -> JournalpostCreate:
    try:
        return JournalpostCreate.model_validate_json(raw)
    except ValidationError as exc:
        raise RequestValidationError(
            [{**e, "loc": (*location, *e["loc"])} for e in exc.errors(include_input=False)]) from None


async def _registration_request(
    request: Request, saksmappe_id: UUID, caller: Caller,
) -> tuple[JournalpostCreate, list[NewDocument], list[tuple[str, str]]]:
    """The journalpost from a JSON body, or from a multipart body with its documents as file parts.

    Also each file part's name and SHA-256, which the idempotency fingerprint covers.
    """
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        if content_type and not content_type.lower().startswith("application/json"):
            raise UnsupportedMediaType("Send the journalpost as application/json, or with its documents as "
                                       "multipart/form-data.")
        check_length(request, MAX_METADATA_BYTES)
        return _validated(await capped_body(request, MAX_METADATA_BYTES), location=("body",)), [], []
    settings = ctx_of(request).settings
    check_length(request, settings.max_documents_per_registration * settings.max_upload_bytes + MAX_METADATA_BYTES)
    async with pre_upload_session(db_of(request)) as session:
        # The case and the caller's right to register in it, before a file part reaches the store.
        await check_may_register(session, caller, saksmappe_id)
    form = await formdata.read_form(
        body_chunks(request), content_type, blobs=blobs_of(request), max_file_bytes=settings.max_upload_bytes,
        max_files=settings.max_documents_per_registration, max_field_bytes=MAX_METADATA_BYTES)
    if METADATA_PART not in form.fields:
        raise Unprocessable(f"The multipart body needs a {METADATA_PART!r} part with the journalpost as JSON.",
                            errors=[{"field": f"body.{METADATA_PART}", "message": "Field required", "code": "missing"}])
    body = _validated(form.fields[METADATA_PART], location=("body", METADATA_PART))
    documents = translate.match_documents(
        body, [(f.name, f.filename, f.content_type, f.blob) for f in form.files])
    return body, documents, [(f.name, f.blob.sha256) for f in form.files]


@router.post("/saksmapper/{saksmappe_id}/journalposter", status_code=201, response_model=JournalpostOut,
             openapi_extra={**_REGISTRATION_BODY, **IDEMPOTENCY_KEY_HEADER})
async def register_journalpost(saksmappe_id: UUID, request: Request, caller: Writer) -> Response:
    """Register a journalpost in the case; as multipart/form-data, with its documents in the same transaction."""
    body, new_documents, files = await _registration_request(request, saksmappe_id, caller)
    key = idempotency.requested(
        request.headers.get(idempotency.HEADER), caller,
        lambda: idempotency.fingerprint(f"POST /saksmapper/{saksmappe_id}/journalposter", body.model_dump(mode="json"),
                                        files))

    command = translate.registration_command(saksmappe_id, body, new_documents)

    async def create(session: Any) -> tuple[tuple[Registered, bool], UUID]:
        registered = await register(session, ctx_of(request), caller, command)
        full = await visibility.may_see_registration(session, caller, registered.journalpost, registered.saksmappe)
        return (registered, full), registered.journalpost.system_id

    result = await idempotency.create_once(db_of(request), key, 201, create)
    if isinstance(result, idempotency.Replayed):
        async with db_of(request).unit_of_work() as session:
            again = await journalpost_view(session, caller, result.resource_id)
        return Response(again.model_dump_json(), status_code=result.status_code, media_type="application/json",
                        headers={"Location": location(request, f"/journalposter/{result.resource_id}")})
    registered, full = result
    out = visibility.registered_journalpost(registered.journalpost, registered.saksmappe, full=full,
                                            parts=registered.korrespondanseparter, documents=registered.dokumenter)
    # Serialised once here; returning the model would have FastAPI validate it a second time.
    return Response(out.model_dump_json(), status_code=201, media_type="application/json",
                    headers={"Location": location(request, f"/journalposter/{registered.journalpost.system_id}")})


