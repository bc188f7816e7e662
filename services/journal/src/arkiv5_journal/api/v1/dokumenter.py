"""Documents: upload, new versions, lists and downloads (the body is the file, streamed)."""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse

from arkiv5_contracts.codelists import (
    Dokumenttype,
    TilknyttetRegistreringSom,
)
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.limits import ORIGINAL_FILENAME_MAX_LENGTH
from arkiv5_kit.proxy import location

from ... import visibility
from ...dokument import documents
from ...dokument.upload import NewDocument, NewVersion, upload_new_document, upload_new_version
from ...schemas import (
    DokumentbeskrivelseOut,
)
from ...store import repository
from .. import openapi, translate
from ..deps import (
    Reader,
    Writer,
    blobs_of,
    body_chunks,
    check_length,
    code_of,
    ctx_of,
    db_of,
    file_response,
    journalpost_view,
)

router = APIRouter(tags=["journal"])

FILNAVN = ("The file's name as the client knows it; stored as a safe base name (no folders or control "
           "characters, at most 255 bytes, the extension kept), the name as sent kept beside it")


@router.post("/journalposter/{journalpost_id}/dokumenter", status_code=201, response_model=DokumentbeskrivelseOut,
             openapi_extra=openapi.UPLOAD_BODY)
async def upload_document(
    journalpost_id: UUID, request: Request, caller: Writer,
    tittel: Annotated[str, Query(min_length=1, max_length=2000)],
    tilknyttet_registrering_som: Annotated[str | None, Query(alias="tilknyttetRegistreringSom")] = None,
    dokumenttype: str | None = None,
    filnavn: Annotated[str | None, Query(max_length=ORIGINAL_FILENAME_MAX_LENGTH, description=FILNAVN)] = None,
    skanning_kontrollert: Annotated[bool | None, Query(alias="skanningKontrollert")] = None,
    sjekksum: Annotated[str | None, Query(description="Expected SHA-256 (hex) of the bytes")] = None,
) -> DokumentbeskrivelseOut:
    """The request body is the document itself, streamed; metadata travels as query parameters."""
    settings = ctx_of(request).settings
    rolle = code_of(TilknyttetRegistreringSom, tilknyttet_registrering_som, "tilknyttetRegistreringSom")
    doktype = code_of(Dokumenttype, dokumenttype, "dokumenttype")
    expected = documents.check_expected_sha256(sjekksum)
    stored_name, sent_name = translate.file_name(filnavn)
    check_length(request, settings.max_upload_bytes)
    document = NewDocument(
        tittel=tittel, declared_type=request.headers.get("content-type"), filnavn=stored_name,
        originalt_filnavn=sent_name, tilknyttet_registrering_som=rolle, dokumenttype=doktype,
        skanning_kontrollert=skanning_kontrollert, expected_sha256=expected)

    async def answer(session: Any, beskrivelse: Any, objekt: Any) -> DokumentbeskrivelseOut:
        return await _document_answer(session, caller, beskrivelse, [objekt])

    return await upload_new_document(
        db_of(request), blobs_of(request), ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id,
        body=body_chunks(request), max_bytes=settings.max_upload_bytes, document=document, answer=answer)


@router.post("/dokumentbeskrivelser/{dokumentbeskrivelse_id}/versjoner", status_code=201,
             response_model=DokumentbeskrivelseOut, openapi_extra=openapi.UPLOAD_BODY)
async def upload_version(
    dokumentbeskrivelse_id: UUID, request: Request, response: Response, caller: Writer,
    filnavn: Annotated[str | None, Query(max_length=ORIGINAL_FILENAME_MAX_LENGTH, description=FILNAVN)] = None,
    sjekksum: Annotated[str | None, Query(description="Expected SHA-256 (hex) of the bytes")] = None,
) -> DokumentbeskrivelseOut:
    """A new version (variantformat P) of a document; the body is the document itself, streamed."""
    settings = ctx_of(request).settings
    expected = documents.check_expected_sha256(sjekksum)
    stored_name, sent_name = translate.file_name(filnavn)
    check_length(request, settings.max_upload_bytes)
    version = NewVersion(declared_type=request.headers.get("content-type"), filnavn=stored_name,
                         originalt_filnavn=sent_name, expected_sha256=expected)
    new_ids: list[UUID] = []

    async def answer(session: Any, beskrivelse: Any, objekt: Any) -> DokumentbeskrivelseOut:
        new_ids.append(objekt.system_id)
        return await _document_answer(session, caller, beskrivelse,
                                      await documents.objekter_of(session, dokumentbeskrivelse_id))

    out = await upload_new_version(
        db_of(request), blobs_of(request), ctx=ctx_of(request), caller=caller,
        dokumentbeskrivelse_id=dokumentbeskrivelse_id, body=body_chunks(request),
        max_bytes=settings.max_upload_bytes, version=version, answer=answer)
    response.headers["Location"] = location(request, f"/dokumentobjekter/{new_ids[0]}/fil")
    return out


@router.get("/journalposter/{journalpost_id}/dokumenter", response_model=list[DokumentbeskrivelseOut])
async def list_documents(journalpost_id: UUID, request: Request, caller: Reader) -> list[DokumentbeskrivelseOut]:
    """Every dokumentbeskrivelse with all its versions and variants, masked as the journalpost is."""
    async with db_of(request).unit_of_work() as session:
        return (await journalpost_view(session, caller, journalpost_id)).dokumentbeskrivelse


async def _document_answer(session: Any, caller: Caller, beskrivelse: Any, objekter: list[Any]) -> DokumentbeskrivelseOut:
    journalpost = await repository.get_journalpost(session, beskrivelse.journalpost_id)
    saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
    return await visibility.dokumentbeskrivelse(session, caller, journalpost, saksmappe, beskrivelse, objekter,
                                                answer=True)


@router.get("/dokumentobjekter/{dokumentobjekt_id}/fil", response_class=StreamingResponse,
            responses=openapi.FILE_RESPONSE)
async def download(dokumentobjekt_id: UUID, request: Request, caller: Reader) -> StreamingResponse:
    async with db_of(request).unit_of_work() as session:
        objekt = await documents.authorize_download(session, caller=caller, dokumentobjekt_id=dokumentobjekt_id)
    return file_response(request, objekt)


