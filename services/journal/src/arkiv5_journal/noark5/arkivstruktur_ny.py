"""Creating under the archive structure in the Noark 5 interface, and what is refused there.

A case is created under its arkivdel or klasse (`ny-saksmappe`, through the same use case as
`sakarkiv/ny-saksmappe/`), and the archive's administrators add a klasse to a
klassifikasjonssystem (`ny-klasse`, as `POST /klasser` in our own API). The rest of the
structure — arkivskaper, arkiv, arkivdel, klassifikasjonssystem, underklasser — is the archive
plan's: the journal creates its structure once and has no use case that adds, changes or
deletes it, so those requests are refused (403 with `feil` and the reason), never half done.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.errors import Unprocessable
from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import Admin, Writer, ctx_of, db_of
from ..arkivstruktur import structure as use_case
from ..errors import StructureFixed
from ..models import Arkivdel, Klasse, Klassifikasjonssystem
from ..schemas import KlasseIn
from ..store import structure
from . import arkivstruktur as render
from .http import Noark5Route, hal, json_object, link, rel
from .saksmapper import create, template, validated

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

PLAN = ("The archive structure is set by the archive plan: the journal has no operation that {what}. "
        "Cases are created under an arkivdel or klasse (ny-saksmappe); klasser by the archive's administrators.")
SERVER_SET = frozenset({"systemID", "opprettetDato", "opprettetAv", "referanseOpprettetAv", "oppdatertDato",
                        "oppdatertAv", "avsluttetDato", "avsluttetAv"})


@router.get("/noark5/api/arkivstruktur/arkivdel/{system_id}/ny-saksmappe/")
async def arkivdel_ny_saksmappe(system_id: UUID, request: Request, session: ReadSessionDep,
                                _caller: Writer) -> JSONResponse:
    await structure.get(session, Arkivdel, system_id)
    return template(request, render.path("arkivdel", system_id) + "ny-saksmappe/")


@router.post("/noark5/api/arkivstruktur/arkivdel/{system_id}/ny-saksmappe/")
async def arkivdel_create_saksmappe(system_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    return await create(request, caller, arkivdel=system_id)


@router.get("/noark5/api/arkivstruktur/klasse/{system_id}/ny-saksmappe/")
async def klasse_ny_saksmappe(system_id: UUID, request: Request, session: ReadSessionDep,
                              _caller: Writer) -> JSONResponse:
    await structure.get(session, Klasse, system_id)
    return template(request, render.path("klasse", system_id) + "ny-saksmappe/")


@router.post("/noark5/api/arkivstruktur/klasse/{system_id}/ny-saksmappe/")
async def klasse_create_saksmappe(system_id: UUID, request: Request, session: ReadSessionDep,
                                  caller: Writer) -> JSONResponse:
    """The case goes to the arkivdel that the klasse's klassifikasjonssystem classifies, under the klasse."""
    klasse = await structure.get(session, Klasse, system_id)
    arkivdel = await structure.arkivdel_of_system(session, klasse.klassifikasjonssystem_id)
    if arkivdel is None:
        raise Unprocessable("No arkivdel is classified by this klasse's klassifikasjonssystem, so no case can be "
                            "filed under it.")
    return await create(request, caller, arkivdel=arkivdel.system_id, klasse=klasse.klasse_id)


@router.get("/noark5/api/arkivstruktur/klassifikasjonssystem/{system_id}/ny-klasse/")
async def ny_klasse(system_id: UUID, request: Request, session: ReadSessionDep, _caller: Admin) -> JSONResponse:
    await structure.get(session, Klassifikasjonssystem, system_id)
    own = render.path("klassifikasjonssystem", system_id) + "ny-klasse/"
    return hal(request, {"_links": {"self": link(request, own), rel("arkivstruktur/ny-klasse"): link(request, own)}})


@router.post("/noark5/api/arkivstruktur/klassifikasjonssystem/{system_id}/ny-klasse/")
async def create_klasse(system_id: UUID, request: Request, caller: Admin) -> JSONResponse:
    body: KlasseIn = validated(KlasseIn, await json_object(request, read_only=SERVER_SET))
    async with db_of(request).unit_of_work() as session:
        klasse = await use_case.create_klasse(session, ctx=ctx_of(request), caller=caller, body=body,
                                              klassifikasjonssystem_id=system_id)
    return hal(request, render.klasse(request, klasse), status_code=201, etag=render.etag(klasse.system_id),
               location_path=render.path("klasse", klasse.system_id))


_NEW = {
    "arkivstruktur/ny-arkivskaper/": "creates an arkivskaper (the arkiv names its creator)",
    "arkivstruktur/ny-arkiv/": "creates an arkiv",
    "arkivstruktur/arkiv/{system_id}/ny-arkivdel/": "creates an arkivdel",
    "arkivstruktur/arkiv/{system_id}/ny-arkivskaper/": "creates an arkivskaper (the arkiv names its creator)",
    "arkivstruktur/arkiv/{system_id}/ny-arkiv/": "creates an underarkiv",
    "arkivstruktur/arkivdel/{system_id}/ny-klassifikasjonssystem/": "creates a klassifikasjonssystem",
    "arkivstruktur/klasse/{system_id}/ny-klasse/": "creates an underklasse (klasser have one level)",
}
_ENTITIES = ("arkivskaper", "arkiv", "arkivdel", "klassifikasjonssystem", "klasse")


def _refuse(what: str) -> Any:
    async def refused(_caller: Writer) -> JSONResponse:
        raise StructureFixed(PLAN.format(what=what))
    return refused


for _path, _what in _NEW.items():
    router.add_api_route(f"/noark5/api/{_path}", _refuse(_what), methods=["GET", "POST"])
for _kind in _ENTITIES:
    router.add_api_route(f"/noark5/api/arkivstruktur/{_kind}/{{system_id}}/", _refuse(f"changes or deletes a {_kind} once made"),
                         methods=["PUT", "PATCH", "DELETE"])
