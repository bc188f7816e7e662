"""Korrespondansepart in the Noark 5 interface: the journalpost's parties as resources of their own.

The standard has three kinds: korrespondansepartintern (an internal sender or recipient, the
types I*), korrespondansepartenhet (an organisation: the caller sees its
organisasjonsnummer) and korrespondansepartperson (everyone else). Every party is read from
the journalpost as `visibility` renders it for the caller, so a screened name is masked here
exactly as in our own API and as inside the journalpost; the kind is decided from that
rendering alone, so it tells nothing the caller may not see.

Parties are given when the journalpost is registered; the journal has no use case that adds
one to a registered journalpost, so there is no `ny-korrespondansepart*` and no create here.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import Reader, journalpost_view
from ..errors import NotFound
from ..schemas import KorrespondansepartOut
from ..store import parties
from . import render
from .http import Noark5Route, hal, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

def kind_of(part: KorrespondansepartOut) -> str:
    if part.korrespondanseparttype.kode.startswith("I"):
        return "korrespondansepartintern"
    if part.organisasjonsnummer:
        return "korrespondansepartenhet"
    return "korrespondansepartperson"


def _path(part: KorrespondansepartOut) -> str:
    return f"arkivstruktur/{kind_of(part)}/{part.system_id}/"


def _rendered(request: Request, part: KorrespondansepartOut, journalpost_id: UUID) -> dict[str, Any]:
    own = _path(part)
    body: dict[str, Any] = part.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {**body, "_links": {
        "self": link(request, own),
        rel(f"arkivstruktur/{kind_of(part)}"): link(request, own),
        rel("arkivstruktur/registrering"): link(request, render.journalpost_path(journalpost_id)),
    }}


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/korrespondansepart/")
async def journalpost_parties(journalpost_id: UUID, request: Request, session: ReadSessionDep,
                              caller: Reader) -> JSONResponse:
    view = await journalpost_view(session, caller, journalpost_id)
    own = render.journalpost_path(journalpost_id) + "korrespondansepart/"
    return hal(request, render.page(request, own, [_rendered(request, part, journalpost_id)
                                                   for part in view.korrespondansepart]))


async def _party(kind: str, korrespondansepart_id: UUID, request: Request, session: Any, caller: Any) -> JSONResponse:
    journalpost_id = await parties.journalpost_of_korrespondansepart(session, korrespondansepart_id)
    view = await journalpost_view(session, caller, journalpost_id)
    for part in view.korrespondansepart:
        if part.system_id == korrespondansepart_id and kind_of(part) == kind:
            return hal(request, _rendered(request, part, journalpost_id))
    raise NotFound("No korrespondansepart of this kind has this systemID.")


@router.get("/noark5/api/arkivstruktur/korrespondansepartperson/{korrespondansepart_id}/")
async def get_person(korrespondansepart_id: UUID, request: Request, session: ReadSessionDep,
                     caller: Reader) -> JSONResponse:
    return await _party("korrespondansepartperson", korrespondansepart_id, request, session, caller)


@router.get("/noark5/api/arkivstruktur/korrespondansepartenhet/{korrespondansepart_id}/")
async def get_enhet(korrespondansepart_id: UUID, request: Request, session: ReadSessionDep,
                    caller: Reader) -> JSONResponse:
    return await _party("korrespondansepartenhet", korrespondansepart_id, request, session, caller)


@router.get("/noark5/api/arkivstruktur/korrespondansepartintern/{korrespondansepart_id}/")
async def get_intern(korrespondansepart_id: UUID, request: Request, session: ReadSessionDep,
                     caller: Reader) -> JSONResponse:
    return await _party("korrespondansepartintern", korrespondansepart_id, request, session, caller)
