"""Documents in the Noark 5 interface: dokumentbeskrivelse and dokumentobjekt reads, and the
byte-exact download. The uploads on the `arkivstruktur/fil/` links are in `filer`.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import (
    Reader,
    db_of,
    file_response,
    journalpost_view,
)
from ..dokument import documents
from ..errors import NotFound
from ..schemas import DokumentbeskrivelseOut
from . import render
from .http import Noark5Route, check_accepts, hal

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

async def _beskrivelse(session: Any, caller: Any, journalpost_id: UUID, system_id: UUID) -> DokumentbeskrivelseOut:
    """The dokumentbeskrivelse as the caller may see it (rendered with its journalpost by `visibility`)."""
    view = await journalpost_view(session, caller, journalpost_id)
    for beskrivelse in view.dokumentbeskrivelse:
        if beskrivelse.system_id == system_id:
            return beskrivelse
    raise NotFound("No dokumentbeskrivelse has this systemID.")


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
