"""Documents in the Noark 5 interface: upload on the journalpost's `arkivstruktur/fil/` link,
dokumentbeskrivelse and dokumentobjekt reads, and the byte-exact download.

The upload is simpler than the standard's three steps (dokumentbeskrivelse, then
dokumentobjekt, then the file): our documents exist only with their bytes, so one POST of
the file to the journalpost's `fil` link creates the dokumentbeskrivelse and its
dokumentobjekt through the same use case as our own API. The objects are then read and
downloaded as the standard describes.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from arkiv5_kit.limits import ORIGINAL_FILENAME_MAX_LENGTH
from arkiv5_kit.sessions import ReadSessionDep

from .. import visibility
from ..api.deps import (
    Reader,
    Writer,
    blobs_of,
    body_chunks,
    check_length,
    ctx_of,
    db_of,
    file_response,
    journalpost_view,
)
from ..api.translate import file_name
from ..dokument import documents
from ..dokument.upload import NewDocument, upload_new_document
from ..errors import NotFound
from ..schemas import DokumentbeskrivelseOut
from ..store import repository
from . import render
from .http import Noark5Route, check_accepts, hal

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

_FILENAME = re.compile(r'filename="?([^";]+)"?')


def _sent_filename(request: Request, filnavn: str | None) -> str | None:
    if filnavn:
        return filnavn
    match = _FILENAME.search(request.headers.get("content-disposition", ""))
    return match.group(1)[:ORIGINAL_FILENAME_MAX_LENGTH] if match else None


async def _beskrivelse(session: Any, caller: Any, journalpost_id: UUID, system_id: UUID) -> DokumentbeskrivelseOut:
    """The dokumentbeskrivelse as the caller may see it (rendered with its journalpost by `visibility`)."""
    view = await journalpost_view(session, caller, journalpost_id)
    for beskrivelse in view.dokumentbeskrivelse:
        if beskrivelse.system_id == system_id:
            return beskrivelse
    raise NotFound("No dokumentbeskrivelse has this systemID.")


@router.post("/noark5/api/sakarkiv/journalpost/{journalpost_id}/fil/")
async def upload(
    journalpost_id: UUID, request: Request, caller: Writer,
    tittel: Annotated[str | None, Query(min_length=1, max_length=2000)] = None,
    filnavn: Annotated[str | None, Query(max_length=ORIGINAL_FILENAME_MAX_LENGTH)] = None,
) -> JSONResponse:
    """The body is the file (its Content-Type its media type); answers the new dokumentobjekt."""
    settings = ctx_of(request).settings
    sent_name = _sent_filename(request, filnavn)
    stored_name, original_name = file_name(sent_name)
    check_length(request, settings.max_upload_bytes)
    document = NewDocument(tittel=tittel or sent_name or "Dokument", declared_type=request.headers.get("content-type"),
                           filnavn=stored_name, originalt_filnavn=original_name)

    async def answer(session: Any, beskrivelse: Any, objekt: Any) -> DokumentbeskrivelseOut:
        # Only the new document is rendered (not the whole journalpost), as our own upload answers.
        journalpost = await repository.get_journalpost(session, journalpost_id)
        saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
        return await visibility.dokumentbeskrivelse(session, caller, journalpost, saksmappe, beskrivelse, [objekt],
                                                    answer=True)

    out = await upload_new_document(
        db_of(request), blobs_of(request), ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id,
        chunks=body_chunks(request), max_bytes=settings.max_upload_bytes, document=document, answer=answer)
    [objekt_out] = out.dokumentobjekt
    return hal(request, render.dokumentobjekt(request, objekt_out, out.system_id), status_code=201,
               location_path=render.dokumentobjekt_path(objekt_out.system_id))


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/dokumentbeskrivelse/")
async def journalpost_documents(journalpost_id: UUID, request: Request, session: ReadSessionDep,
                                caller: Reader) -> JSONResponse:
    view = await journalpost_view(session, caller, journalpost_id)
    own = render.journalpost_path(journalpost_id) + "dokumentbeskrivelse/"
    return hal(request, render.page(request, own, [render.dokumentbeskrivelse(request, b, journalpost_id)
                                                   for b in view.dokumentbeskrivelse]))


@router.get("/noark5/api/arkivstruktur/dokumentbeskrivelse/{dokumentbeskrivelse_id}/")
async def get_dokumentbeskrivelse(dokumentbeskrivelse_id: UUID, request: Request, session: ReadSessionDep,
                                  caller: Reader) -> JSONResponse:
    _row, journalpost = await documents.dokumentbeskrivelse_with_record(session, dokumentbeskrivelse_id)
    out = await _beskrivelse(session, caller, journalpost.system_id, dokumentbeskrivelse_id)
    return hal(request, render.dokumentbeskrivelse(request, out, journalpost.system_id))


@router.get("/noark5/api/arkivstruktur/dokumentbeskrivelse/{dokumentbeskrivelse_id}/dokumentobjekt/")
async def dokumentobjekter(dokumentbeskrivelse_id: UUID, request: Request, session: ReadSessionDep,
                           caller: Reader) -> JSONResponse:
    _row, journalpost = await documents.dokumentbeskrivelse_with_record(session, dokumentbeskrivelse_id)
    out = await _beskrivelse(session, caller, journalpost.system_id, dokumentbeskrivelse_id)
    own = render.dokumentbeskrivelse_path(dokumentbeskrivelse_id) + "dokumentobjekt/"
    return hal(request, render.page(request, own, [render.dokumentobjekt(request, o, dokumentbeskrivelse_id)
                                                   for o in out.dokumentobjekt]))


@router.get("/noark5/api/arkivstruktur/dokumentobjekt/{dokumentobjekt_id}/")
async def get_dokumentobjekt(dokumentobjekt_id: UUID, request: Request, session: ReadSessionDep,
                             caller: Reader) -> JSONResponse:
    _objekt, beskrivelse, journalpost, _case = await documents.dokumentobjekt_with_record(session, dokumentobjekt_id)
    out = await _beskrivelse(session, caller, journalpost.system_id, beskrivelse.system_id)
    [objekt_out] = [o for o in out.dokumentobjekt if o.system_id == dokumentobjekt_id]
    return hal(request, render.dokumentobjekt(request, objekt_out, beskrivelse.system_id))


@router.get("/noark5/api/arkivstruktur/dokumentobjekt/{dokumentobjekt_id}/referanseFil/")
async def download(dokumentobjekt_id: UUID, request: Request, caller: Reader) -> Response:
    """The bytes as stored, with their media type; 406 when the Accept header does not allow that type."""
    async with db_of(request).unit_of_work() as session:
        objekt = await documents.authorize_download(session, caller=caller, dokumentobjekt_id=dokumentobjekt_id)
    check_accepts(request, objekt.format)
    return file_response(request, objekt)
