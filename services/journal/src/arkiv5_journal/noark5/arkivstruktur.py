"""The archive structure in the Noark 5 interface: arkivskaper, arkiv, arkivdel, klassifikasjonssystem
and klasse, each a list and by systemID, linking down the chain to its children and to the cases
filed under it (arkivdel: its saksmapper; klasse: the saksmapper classified under it).

The rows are the journal's own structure (created with the first case, klasser by the archive's
administrators), the same the extraction writes. The arkivskaper is no row of its own: the journal
names the arkiv as its creator, as the extraction does by default (arkivskaperID the arkiv's
systemID, arkivskaperNavn its title). A caller who may read the journal sees all of it.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from arkiv5_contracts.codelists import Arkivdelstatus, Arkivstatus, CodeList
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.clock import as_utc
from arkiv5_kit.errors import NotFound
from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import ADMIN, Reader
from ..arkivstruktur import structure as use_case
from ..models import Arkiv, Arkivdel, Klasse, Klassifikasjonssystem
from ..store import structure
from . import odata, render
from .http import Noark5Route, hal, link, rel
from .saksmapper import saksmappe_page

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

Top = Annotated[str | None, Query(alias="$top")]
Skip = Annotated[str | None, Query(alias="$skip")]
ARKIVSTRUKTUR = "arkivstruktur/"
_ARKIVSKAPER_NS = uuid.UUID("2b7f5c1e-8d4a-4f3b-9c6e-1a2b3c4d5e6f")


def path(kind: str, system_id: UUID) -> str:
    return f"{ARKIVSTRUKTUR}{kind}/{system_id}/"


def arkivskaper_id(arkiv: Arkiv) -> UUID:
    """The arkivskaper's own systemID, derived from its arkiv's (stable, and unique beside it)."""
    return uuid.uuid5(_ARKIVSKAPER_NS, str(arkiv.system_id))


def code_of(kind: str, value: str) -> dict[str, str]:
    """An arkiv's (arkivstatus) or arkivdel's (arkivdelstatus) status as the standard's code object."""
    return _code(Arkivstatus if kind == "arkiv" else Arkivdelstatus, value)


def _code(codes: type[CodeList], value: str) -> dict[str, str]:
    try:
        return codes.of(value).to_api()
    except ValueError:
        return {"kode": value}


def _created(row: Arkiv | Arkivdel | Klassifikasjonssystem | Klasse) -> dict[str, Any]:
    # With its zone, as every date of the interface (SQLite hands the UTC instant back without it).
    return {"opprettetDato": as_utc(row.opprettet_dato).isoformat().replace("+00:00", "Z"),
            "opprettetAv": row.opprettet_av}


def _list(request: Request, own: str) -> dict[str, Any]:
    return link(request, own + render.PAGE_QUERY, templated=True)


def arkivskaper(request: Request, arkiv: Arkiv) -> dict[str, Any]:
    own = path("arkivskaper", arkivskaper_id(arkiv))
    return {"systemID": str(arkivskaper_id(arkiv)), "arkivskaperID": str(arkiv.system_id),
            "arkivskaperNavn": arkiv.tittel, "_links": {
                "self": link(request, own), rel("arkivstruktur/arkivskaper"): link(request, own),
                rel("arkivstruktur/arkiv"): _list(request, own + "arkiv/")}}


def _admin(caller: Caller) -> bool:
    """The structure is changed by the archive's administrators (as klasser in our own API)."""
    return caller.claims.has_scopes(ADMIN)


def arkiv(request: Request, caller: Caller, row: Arkiv) -> dict[str, Any]:
    own = path("arkiv", row.system_id)
    body = {"systemID": str(row.system_id), "tittel": row.tittel, "beskrivelse": row.beskrivelse,
            "arkivstatus": _code(Arkivstatus, row.arkivstatus), **_created(row)}
    links = {
        "self": link(request, own), rel("arkivstruktur/arkiv"): link(request, own),
        rel("arkivstruktur/arkivdel"): _list(request, own + "arkivdel/"),
        rel("arkivstruktur/arkivskaper"): _list(request, own + "arkivskaper/"),
        rel("metadata/arkivstatus"): link(request, "metadata/arkivstatus/")}
    if _admin(caller):
        links[rel("arkivstruktur/ny-arkivdel")] = link(request, own + "ny-arkivdel/")
    return {**{k: v for k, v in body.items() if v is not None}, "_links": links}


def arkivdel(request: Request, caller: Caller, row: Arkivdel) -> dict[str, Any]:
    own = path("arkivdel", row.system_id)
    links = {
        "self": link(request, own), rel("arkivstruktur/arkivdel"): link(request, own),
        rel("arkivstruktur/arkiv"): link(request, path("arkiv", row.arkiv_id)),
        rel("arkivstruktur/klassifikasjonssystem"): _list(request, own + "klassifikasjonssystem/"),
        # The standard lists a part's cases under `mappe`; `saksmappe` names the same list.
        rel("arkivstruktur/mappe"): link(request, own + "mappe/" + render.LIST_QUERY, templated=True),
        rel("sakarkiv/saksmappe"): link(request, own + "mappe/" + render.LIST_QUERY, templated=True),
        rel("sakarkiv/ny-saksmappe"): link(request, own + "ny-saksmappe/"),
        rel("metadata/arkivdelstatus"): link(request, "metadata/arkivdelstatus/")}
    if _admin(caller) and row.klassifikasjonssystem_id is None:
        links[rel("arkivstruktur/ny-klassifikasjonssystem")] = link(request, own + "ny-klassifikasjonssystem/")
    return {"systemID": str(row.system_id), "tittel": row.tittel,
            "arkivdelstatus": _code(Arkivdelstatus, row.arkivdelstatus), **_created(row), "_links": links}


def klassifikasjonssystem(request: Request, caller: Caller, row: Klassifikasjonssystem) -> dict[str, Any]:
    own = path("klassifikasjonssystem", row.system_id)
    links = {
        "self": link(request, own), rel("arkivstruktur/klassifikasjonssystem"): link(request, own),
        rel("arkivstruktur/klasse"): _list(request, own + "klasse/"),
        rel("arkivstruktur/arkivdel"): _list(request, own + "arkivdel/")}
    if _admin(caller):
        links[rel("arkivstruktur/ny-klasse")] = link(request, own + "ny-klasse/")
    body: dict[str, Any] = {"systemID": str(row.system_id), "tittel": row.tittel}
    if row.klassifikasjonstype:
        body["klassifikasjonstype"] = {"kode": row.klassifikasjonstype}
    return {**body, **_created(row), "_links": links}


def klasse(request: Request, row: Klasse) -> dict[str, Any]:
    own = path("klasse", row.system_id)
    return {"systemID": str(row.system_id), "klasseID": row.klasse_id, "tittel": row.tittel, **_created(row),
            "_links": {
                "self": link(request, own), rel("arkivstruktur/klasse"): link(request, own),
                rel("arkivstruktur/klassifikasjonssystem"): link(
                    request, path("klassifikasjonssystem", row.klassifikasjonssystem_id)),
                rel("arkivstruktur/mappe"): link(request, own + "mappe/" + render.LIST_QUERY, templated=True),
                rel("sakarkiv/saksmappe"): link(request, own + "mappe/" + render.LIST_QUERY, templated=True),
                rel("sakarkiv/ny-saksmappe"): link(request, own + "ny-saksmappe/")}}


async def _page(request: Request, own: str, top: str | None, skip: str | None, load: Any, draw: Any) -> JSONResponse:
    paging = odata.page_only(request.query_params, top, skip)
    rows = await load(paging.skip, paging.top + 1)
    return hal(request, render.paged(request, own, paging, [draw(r) for r in rows[:paging.top]],
                                     more=len(rows) > paging.top))


# --- arkivskaper: one per arkiv ------------------------------------------------------------


async def _arkiver_of_skaper(session: Any, skaper_id: UUID) -> Arkiv:
    for row in await structure.rows(session, Arkiv, skip=0, top=odata.MAX_SKIP):
        if arkivskaper_id(row) == skaper_id:
            return row
    raise NotFound("No arkivskaper has this systemID.")


@router.get("/noark5/api/arkivstruktur/arkivskaper/")
async def list_arkivskapere(request: Request, session: ReadSessionDep, caller: Reader,
                            top: Top = None, skip: Skip = None) -> JSONResponse:
    return await _page(request, ARKIVSTRUKTUR + "arkivskaper/", top, skip,
                       lambda s, t: structure.rows(session, Arkiv, skip=s, top=t), lambda r: arkivskaper(request, r))


@router.get("/noark5/api/arkivstruktur/arkivskaper/{system_id}/")
async def get_arkivskaper(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader) -> JSONResponse:
    row = await _arkiver_of_skaper(session, system_id)
    return hal(request, arkivskaper(request, row), etag=use_case.etag(row))


@router.get("/noark5/api/arkivstruktur/arkivskaper/{system_id}/arkiv/")
async def arkivskaper_arkiver(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
                              top: Top = None, skip: Skip = None) -> JSONResponse:
    row = await _arkiver_of_skaper(session, system_id)
    return await _page(request, path("arkivskaper", system_id) + "arkiv/", top, skip,
                       lambda s, t: structure.rows(session, Arkiv, skip=s, top=t, system_id=row.system_id),
                       lambda r: arkiv(request, caller, r))


# --- arkiv ------------------------------------------------------------------------------------


@router.get("/noark5/api/arkivstruktur/arkiv/")
async def list_arkiver(request: Request, session: ReadSessionDep, caller: Reader,
                       top: Top = None, skip: Skip = None) -> JSONResponse:
    return await _page(request, ARKIVSTRUKTUR + "arkiv/", top, skip,
                       lambda s, t: structure.rows(session, Arkiv, skip=s, top=t), lambda r: arkiv(request, caller, r))


@router.get("/noark5/api/arkivstruktur/arkiv/{system_id}/")
async def get_arkiv(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader) -> JSONResponse:
    return hal(request, arkiv(request, caller, row := await structure.get(session, Arkiv, system_id)), etag=use_case.etag(row))


@router.get("/noark5/api/arkivstruktur/arkiv/{system_id}/arkivdel/")
async def arkiv_arkivdeler(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
                           top: Top = None, skip: Skip = None) -> JSONResponse:
    await structure.get(session, Arkiv, system_id)
    return await _page(request, path("arkiv", system_id) + "arkivdel/", top, skip,
                       lambda s, t: structure.rows(session, Arkivdel, skip=s, top=t, arkiv_id=system_id),
                       lambda r: arkivdel(request, caller, r))


@router.get("/noark5/api/arkivstruktur/arkiv/{system_id}/arkivskaper/")
async def arkiv_arkivskapere(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
                             top: Top = None, skip: Skip = None) -> JSONResponse:
    row = await structure.get(session, Arkiv, system_id)
    return await _page(request, path("arkiv", system_id) + "arkivskaper/", top, skip,
                       lambda s, t: _first_page(s, [row]), lambda r: arkivskaper(request, r))


async def _first_page(skip: int, rows: list[Any]) -> list[Any]:
    return rows[skip:]


# --- arkivdel ---------------------------------------------------------------------------------


@router.get("/noark5/api/arkivstruktur/arkivdel/")
async def list_arkivdeler(request: Request, session: ReadSessionDep, caller: Reader,
                          top: Top = None, skip: Skip = None) -> JSONResponse:
    return await _page(request, ARKIVSTRUKTUR + "arkivdel/", top, skip,
                       lambda s, t: structure.rows(session, Arkivdel, skip=s, top=t), lambda r: arkivdel(request, caller, r))


@router.get("/noark5/api/arkivstruktur/arkivdel/{system_id}/")
async def get_arkivdel(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader) -> JSONResponse:
    return hal(request, arkivdel(request, caller, row := await structure.get(session, Arkivdel, system_id)),
               etag=use_case.etag(row))


@router.get("/noark5/api/arkivstruktur/arkivdel/{system_id}/klassifikasjonssystem/")
async def arkivdel_klassifikasjonssystem(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
                                         top: Top = None, skip: Skip = None) -> JSONResponse:
    row = await structure.get(session, Arkivdel, system_id)
    systems = [await structure.get(session, Klassifikasjonssystem, row.klassifikasjonssystem_id)] \
        if row.klassifikasjonssystem_id is not None else []
    return await _page(request, path("arkivdel", system_id) + "klassifikasjonssystem/", top, skip,
                       lambda s, t: _first_page(s, systems), lambda r: klassifikasjonssystem(request, caller, r))


@router.get("/noark5/api/arkivstruktur/arkivdel/{system_id}/mappe/")
async def arkivdel_saksmapper(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
                              top: Top = None, skip: Skip = None) -> JSONResponse:
    await structure.get(session, Arkivdel, system_id)
    return await saksmappe_page(request, session, caller, path("arkivdel", system_id) + "mappe/", top, skip,
                                arkivdel_id=system_id)


# --- klassifikasjonssystem --------------------------------------------------------------------


@router.get("/noark5/api/arkivstruktur/klassifikasjonssystem/")
async def list_klassifikasjonssystemer(request: Request, session: ReadSessionDep, caller: Reader,
                                       top: Top = None, skip: Skip = None) -> JSONResponse:
    return await _page(request, ARKIVSTRUKTUR + "klassifikasjonssystem/", top, skip,
                       lambda s, t: structure.rows(session, Klassifikasjonssystem, skip=s, top=t),
                       lambda r: klassifikasjonssystem(request, caller, r))


@router.get("/noark5/api/arkivstruktur/klassifikasjonssystem/{system_id}/")
async def get_klassifikasjonssystem(system_id: UUID, request: Request, session: ReadSessionDep,
                                    caller: Reader) -> JSONResponse:
    row = await structure.get(session, Klassifikasjonssystem, system_id)
    return hal(request, klassifikasjonssystem(request, caller, row), etag=use_case.etag(row))


@router.get("/noark5/api/arkivstruktur/klassifikasjonssystem/{system_id}/klasse/")
async def klassifikasjonssystem_klasser(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
                                        top: Top = None, skip: Skip = None) -> JSONResponse:
    await structure.get(session, Klassifikasjonssystem, system_id)
    return await _page(request, path("klassifikasjonssystem", system_id) + "klasse/", top, skip,
                       lambda s, t: structure.rows(session, Klasse, skip=s, top=t, klassifikasjonssystem_id=system_id),
                       lambda r: klasse(request, r))


@router.get("/noark5/api/arkivstruktur/klassifikasjonssystem/{system_id}/arkivdel/")
async def klassifikasjonssystem_arkivdeler(system_id: UUID, request: Request, session: ReadSessionDep,
                                           caller: Reader, top: Top = None, skip: Skip = None) -> JSONResponse:
    await structure.get(session, Klassifikasjonssystem, system_id)
    return await _page(request, path("klassifikasjonssystem", system_id) + "arkivdel/", top, skip,
                       lambda s, t: structure.rows(session, Arkivdel, skip=s, top=t,
                                                   klassifikasjonssystem_id=system_id),
                       lambda r: arkivdel(request, caller, r))


# --- klasse -----------------------------------------------------------------------------------


@router.get("/noark5/api/arkivstruktur/klasse/")
async def list_klasser(request: Request, session: ReadSessionDep, caller: Reader,
                       top: Top = None, skip: Skip = None) -> JSONResponse:
    return await _page(request, ARKIVSTRUKTUR + "klasse/", top, skip,
                       lambda s, t: structure.rows(session, Klasse, skip=s, top=t), lambda r: klasse(request, r))


@router.get("/noark5/api/arkivstruktur/klasse/{system_id}/")
async def get_klasse(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader) -> JSONResponse:
    return hal(request, klasse(request, row := await structure.get(session, Klasse, system_id)), etag=use_case.etag(row))


@router.get("/noark5/api/arkivstruktur/klasse/{system_id}/mappe/")
async def klasse_saksmapper(system_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
                            top: Top = None, skip: Skip = None) -> JSONResponse:
    await structure.get(session, Klasse, system_id)
    return await saksmappe_page(request, session, caller, path("klasse", system_id) + "mappe/", top, skip,
                                klasse_id=system_id)
