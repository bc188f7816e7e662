"""Internal routes for other Arkiv5 services (service tokens): conversion and the SvarUt gateway.

Contracts: docs/conversion.md ("What the service needs from the journal") and
docs/svarut-gateway.md ("What the gateway needs from other services").
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Header, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from arkiv5_contracts.internal import (
    ArchivalVariantStored,
    AttachmentFiled,
    AttachmentMetadata,
    DispatchMaterial,
    ProductionDocument,
)
from arkiv5_contracts.policy import Role
from arkiv5_kit.auth import INVALID_TOKEN, TokenVerifier, bearer_token
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Forbidden, Unauthorized, Unprocessable

from .. import documents
from .. import internal as domain
from . import openapi
from .deps import (
    DISPATCH,
    DOCUMENTS_READ,
    DOCUMENTS_WRITE_ARCHIVAL,
    READ,
    blobs_of,
    body_chunks,
    check_length,
    ctx_of,
    db_of,
    file_response,
)

internal = APIRouter(prefix="/internal", tags=["internal"])


def internal_service(*scopes: str, broad: tuple[str, ...] = ()) -> Callable[[Request], Awaitable[Caller]]:
    """A token with one of `scopes`; or with one of `broad` when it is one of Arkiv5's own services.

    The access service grants the SvarUt gateway `journal.read` (not a dedicated scope), so the
    broad scope counts here only together with the intern-tjeneste role: a person or fagsystem
    holding `journal.read` never reaches document bytes past the case-level checks this way.
    """

    async def dependency(request: Request) -> Caller:
        verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
        if verifier is None:
            raise Unauthorized(INVALID_TOKEN)
        claims = await verifier.verify(bearer_token(request))
        if any(claims.has_scopes(s) for s in scopes):
            return Caller(claims)
        if Role.INTERN_TJENESTE.value in claims.roles and any(claims.has_scopes(s) for s in broad):
            return Caller(claims)
        raise Forbidden(f"This call needs one of the scope(s): {' '.join(scopes)}.")

    return dependency


DocumentReader = Annotated[Caller, Depends(internal_service(DOCUMENTS_READ, DISPATCH, broad=(READ,)))]
DispatchReader = Annotated[Caller, Depends(internal_service(DISPATCH, broad=(READ,)))]
ArchivalWriter = Annotated[Caller, Depends(internal_service(DOCUMENTS_WRITE_ARCHIVAL))]


@internal.get("/journalposter/{journalpost_id}/dokumentobjekter", response_model=list[ProductionDocument])
async def list_production_documents(journalpost_id: UUID, request: Request,
                                    caller: Annotated[Caller, Depends(internal_service(DOCUMENTS_READ))]
                                    ) -> list[ProductionDocument]:
    """The production-format documents of a journalpost, for conversion."""
    async with db_of(request).unit_of_work() as session:
        return await domain.production_documents(session, journalpost_id=journalpost_id)


@internal.get("/dokumentobjekter/{dokumentobjekt_id}/content", response_class=StreamingResponse,
              responses=openapi.FILE_RESPONSE)
async def content(dokumentobjekt_id: UUID, request: Request, caller: DocumentReader) -> StreamingResponse:
    """The bytes of any dokumentobjekt, for conversion and the SvarUt gateway: the scope is the permission."""
    async with db_of(request).unit_of_work() as session:
        objekt, *_ = await documents.dokumentobjekt_with_record(session, dokumentobjekt_id)
    return file_response(request, objekt)


@internal.get("/journalposter/{journalpost_id}/dispatch-material", response_model=DispatchMaterial)
async def dispatch_material(journalpost_id: UUID, request: Request, caller: DispatchReader) -> DispatchMaterial:
    async with db_of(request).unit_of_work() as session:
        return await domain.dispatch_material(session, journalpost_id=journalpost_id)


@internal.put("/dokumentobjekter/{dokumentobjekt_id}/arkivvariant", response_model=ArchivalVariantStored,
              responses={201: {"model": ArchivalVariantStored, "description": "The archival variant was stored"}},
              openapi_extra=openapi.ARCHIVAL_BODY)
async def put_arkivvariant(
    dokumentobjekt_id: UUID, request: Request, response: Response, caller: ArchivalWriter,
    source_sha256: Annotated[str | None, Header(alias="X-Source-Sha256")] = None,
    archival_sha256: Annotated[str | None, Header(alias="X-Archival-Sha256")] = None,
    archival_puid: Annotated[str | None, Header(alias="X-Archival-Puid", max_length=255)] = None,
) -> ArchivalVariantStored:
    """Idempotent: one archival variant per source dokumentobjekt; a repeat answers the same id (200)."""
    settings = ctx_of(request).settings
    expected = documents.check_expected_sha256(archival_sha256)
    check_length(request, settings.max_upload_bytes)
    async with db_of(request).unit_of_work() as session:
        source, *_ = await documents.dokumentobjekt_with_record(session, dokumentobjekt_id)
        domain.check_source_checksum(source, source_sha256)
    blob = await documents.store(blobs_of(request), body_chunks(request), max_bytes=settings.max_upload_bytes,
                                 expected_sha256=expected)
    objekt, created = await _attach(request, caller, dokumentobjekt_id, blob, archival_puid)
    response.status_code = 201 if created else 200
    return ArchivalVariantStored(dokumentobjekt_id=objekt.system_id)


async def _attach(request: Request, caller: Caller, source_id: UUID, blob: Any, puid: str | None) -> tuple[Any, bool]:
    for attempt in (1, 2):
        try:
            async with db_of(request).unit_of_work() as session:
                return await documents.attach_archival_variant(
                    session, ctx=ctx_of(request), caller=caller, source_id=source_id, blob=blob, format_detaljer=puid)
        except IntegrityError:
            # Two deliveries of the same result raced; the second attempt finds the first's variant.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@internal.post("/journalposter/{journalpost_id}/dokumentbeskrivelser", response_model=AttachmentFiled,
               responses={201: {"model": AttachmentFiled, "description": "The attachment was filed"}},
               openapi_extra=openapi.attachment_body(AttachmentMetadata))
async def file_attachment(
    journalpost_id: UUID, request: Request, response: Response, caller: ArchivalWriter,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key", max_length=200)] = None,
) -> AttachmentFiled:
    """An e-mail's attachment as its own document: 201 when made, 200 with the same ids after."""
    settings = ctx_of(request).settings
    check_length(request, settings.max_upload_bytes + 64 * 1024)
    async with db_of(request).unit_of_work() as session:
        await documents.get_journalpost(session, journalpost_id)  # 404 before reading the body
    form = await request.form()
    try:
        metadata = AttachmentMetadata.model_validate(json.loads(str(form.get("metadata") or "")))
    except (ValueError, ValidationError):
        raise Unprocessable("The `metadata` part must be the attachment's JSON metadata (docs/conversion.md).") from None
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise Unprocessable("The `file` part with the attachment's bytes is missing.")
    kilde = metadata.kilde
    key = idempotency_key or f"{kilde.dokumentobjekt_id}:{kilde.sha256.lower()}:{kilde.vedlegg_indeks}"

    async def chunks() -> AsyncIterator[bytes]:
        while chunk := await upload.read(1024 * 1024):
            yield chunk

    blob = await documents.store(blobs_of(request), chunks(), max_bytes=settings.max_upload_bytes,
                                 expected_sha256=metadata.sha256.lower())
    for attempt in (1, 2):
        try:
            async with db_of(request).unit_of_work() as session:
                beskrivelse, objekt, created = await domain.file_attachment(
                    session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id, key=key, blob=blob,
                    tittel=metadata.tittel, filnavn=metadata.filnavn or upload.filename,
                    declared_type=metadata.format or upload.content_type)
            break
        except IntegrityError:
            if attempt == 2:  # a concurrent retry filed it first; the second attempt finds it
                raise
    response.status_code = 201 if created else 200
    return AttachmentFiled(dokumentbeskrivelse_id=beskrivelse.system_id, dokumentobjekt_id=objekt.system_id,
                           sha256=objekt.sjekksum)
