"""Creating and changing the archive structure in the Noark 5 interface, and what is refused there.

A case is created under its arkivdel or klasse (`ny-saksmappe`, through the same use case as
`sakarkiv/ny-saksmappe/`). The archive's administrators (`journal.admin`) create an arkiv
(`ny-arkiv`), an arkivdel in it (`ny-arkivdel`), the arkivdel's klassifikasjonssystem
(`ny-klassifikasjonssystem`) and its klasser (`ny-klasse`, as `POST /klasser` in our own API);
they change an arkiv, arkivdel, klassifikasjonssystem or klasse (PUT the object as read, or
PATCH a merge-patch, with its ETag) and delete one that holds nothing, all through the
structure's use cases (`arkivstruktur/structure.py`). The arkivskaper is the arkiv's own
name, and the journal has neither underarkiver nor underklasser: those requests are refused
(403 with `feil` and the reason), never half done.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Unprocessable
from arkiv5_kit.sessions import ReadSessionDep

from .. import corrections
from ..api.deps import Admin, Writer, ctx_of, db_of
from ..arkivstruktur import structure as use_case
from ..arkivstruktur.changes import (
    ArkivdelIn,
    ArkivdelPatch,
    ArkivIn,
    ArkivPatch,
    KlassePatch,
    KlassifikasjonssystemIn,
    KlassifikasjonssystemPatch,
)
from ..errors import StructureFixed
from ..models import Arkiv, Arkivdel, Klasse, Klassifikasjonssystem
from ..schemas import ApiModel, KlasseIn
from ..store import structure
from . import arkivstruktur as render
from . import replace
from .http import MERGE_PATCH, Noark5Route, hal, if_match, json_object, link, rel
from .saksmapper import create, template, validated

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

PLAN = ("The journal has no operation that {what}. The archive's administrators create arkiv, arkivdel, "
        "klassifikasjonssystem and klasse (ny-arkiv, ny-arkivdel, ny-klassifikasjonssystem, ny-klasse).")
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
    return hal(request, render.klasse(request, klasse), status_code=201, etag=use_case.etag(klasse),
               location_path=render.path("klasse", klasse.system_id))


# --- arkiv, arkivdel, klassifikasjonssystem: templates and creation ----------------------------


def _template(request: Request, own: str, name: str, body: dict[str, Any]) -> JSONResponse:
    return hal(request, {**body, "_links": {"self": link(request, own), rel(f"arkivstruktur/{name}"): link(request, own)}})


@router.get("/noark5/api/arkivstruktur/ny-arkiv/")
async def ny_arkiv(request: Request, _caller: Admin) -> JSONResponse:
    return _template(request, "arkivstruktur/ny-arkiv/", "ny-arkiv", {"arkivstatus": render.code_of("arkiv", "O")})


@router.post("/noark5/api/arkivstruktur/ny-arkiv/")
async def create_arkiv(request: Request, caller: Admin) -> JSONResponse:
    body: ArkivIn = validated(ArkivIn, await json_object(request, read_only=SERVER_SET))
    async with db_of(request).unit_of_work() as session:
        arkiv = await use_case.create_arkiv(session, caller=caller, body=body)
    return hal(request, render.arkiv(request, caller, arkiv), status_code=201, etag=use_case.etag(arkiv),
               location_path=render.path("arkiv", arkiv.system_id))


@router.get("/noark5/api/arkivstruktur/arkiv/{system_id}/ny-arkivdel/")
async def ny_arkivdel(system_id: UUID, request: Request, session: ReadSessionDep, _caller: Admin) -> JSONResponse:
    await structure.get(session, Arkiv, system_id)
    return _template(request, render.path("arkiv", system_id) + "ny-arkivdel/", "ny-arkivdel",
                     {"arkivdelstatus": render.code_of("arkivdel", "A")})


@router.post("/noark5/api/arkivstruktur/arkiv/{system_id}/ny-arkivdel/")
async def create_arkivdel(system_id: UUID, request: Request, caller: Admin) -> JSONResponse:
    body: ArkivdelIn = validated(ArkivdelIn, await json_object(request, read_only=SERVER_SET))
    async with db_of(request).unit_of_work() as session:
        arkivdel = await use_case.create_arkivdel(session, caller=caller, arkiv_id=system_id, body=body)
    return hal(request, render.arkivdel(request, caller, arkivdel), status_code=201, etag=use_case.etag(arkivdel),
               location_path=render.path("arkivdel", arkivdel.system_id))


@router.get("/noark5/api/arkivstruktur/arkivdel/{system_id}/ny-klassifikasjonssystem/")
async def ny_klassifikasjonssystem(system_id: UUID, request: Request, session: ReadSessionDep,
                                   _caller: Admin) -> JSONResponse:
    await structure.get(session, Arkivdel, system_id)
    return _template(request, render.path("arkivdel", system_id) + "ny-klassifikasjonssystem/",
                     "ny-klassifikasjonssystem", {})


@router.post("/noark5/api/arkivstruktur/arkivdel/{system_id}/ny-klassifikasjonssystem/")
async def create_klassifikasjonssystem(system_id: UUID, request: Request, caller: Admin) -> JSONResponse:
    body: KlassifikasjonssystemIn = validated(KlassifikasjonssystemIn,
                                              await json_object(request, read_only=SERVER_SET))
    async with db_of(request).unit_of_work() as session:
        system = await use_case.create_klassifikasjonssystem(session, caller=caller, arkivdel_id=system_id, body=body)
    return hal(request, render.klassifikasjonssystem(request, caller, system), status_code=201,
               etag=use_case.etag(system), location_path=render.path("klassifikasjonssystem", system.system_id))


# --- arkiv, arkivdel, klassifikasjonssystem, klasse: PUT, PATCH, DELETE ------------------------


@dataclass(frozen=True)
class _Changeable:
    table: type[Any]
    patch: type[ApiModel]
    draw: Callable[[Request, Caller, Any], dict[str, Any]]
    immutable: tuple[str, ...] = ()


_CHANGEABLE = {
    "arkiv": _Changeable(Arkiv, ArkivPatch, render.arkiv),
    "arkivdel": _Changeable(Arkivdel, ArkivdelPatch, render.arkivdel),
    "klassifikasjonssystem": _Changeable(Klassifikasjonssystem, KlassifikasjonssystemPatch,
                                         render.klassifikasjonssystem),
    "klasse": _Changeable(Klasse, KlassePatch, lambda request, _caller, row: render.klasse(request, row),
                          immutable=("klasseID",)),
}


def _changer(kind: _Changeable, *, whole: bool) -> Any:
    async def change(system_id: UUID, request: Request, caller: Admin) -> JSONResponse:
        """PATCH (the body is the merge-patch) or PUT (the body is the object as read, with its changes)."""
        tag = if_match(request)
        body = await json_object(request, read_only=SERVER_SET)
        async with db_of(request).unit_of_work() as session:
            if whole:
                row = await structure.get(session, kind.table, system_id)
                body = replace.changes(body, kind.draw(request, caller, row), fields=replace.correctable(kind.patch))
                if not body:  # nothing to change: still only for a client that read the current version
                    use_case.check_version(tag, row)
                    return hal(request, kind.draw(request, caller, row), etag=use_case.etag(row))
            patch = corrections.parse_patch(json.dumps(body).encode(), MERGE_PATCH, kind.patch, kind.immutable)
            row = await use_case.change(session, caller=caller, kind=kind.table, system_id=system_id, patch=patch,
                                        if_match=tag)
            return hal(request, kind.draw(request, caller, row), etag=use_case.etag(row))
    return change


def _deleter(kind: _Changeable) -> Any:
    async def delete(system_id: UUID, request: Request, _caller: Admin) -> Response:
        async with db_of(request).unit_of_work() as session:
            await use_case.delete(session, kind=kind.table, system_id=system_id, if_match=if_match(request))
        return Response(status_code=204)
    return delete


for _name, _kind in _CHANGEABLE.items():
    _own = f"/noark5/api/arkivstruktur/{_name}/{{system_id}}/"
    router.add_api_route(_own, _changer(_kind, whole=False), methods=["PATCH"])
    router.add_api_route(_own, _changer(_kind, whole=True), methods=["PUT"])
    router.add_api_route(_own, _deleter(_kind), methods=["DELETE"])


_NEW = {
    "arkivstruktur/ny-arkivskaper/": "creates an arkivskaper (the arkiv names its creator)",
    "arkivstruktur/arkiv/{system_id}/ny-arkivskaper/": "creates an arkivskaper (the arkiv names its creator)",
    "arkivstruktur/arkiv/{system_id}/ny-arkiv/": "creates an underarkiv",
    "arkivstruktur/klasse/{system_id}/ny-klasse/": "creates an underklasse (klasser have one level)",
}


def _refuse(what: str) -> Any:
    async def refused(_caller: Writer) -> JSONResponse:
        raise StructureFixed(PLAN.format(what=what))
    return refused


for _path, _what in _NEW.items():
    router.add_api_route(f"/noark5/api/{_path}", _refuse(_what), methods=["GET", "POST"])
router.add_api_route("/noark5/api/arkivstruktur/arkivskaper/{system_id}/",
                     _refuse("changes or deletes an arkivskaper (change its arkiv's title)"),
                     methods=["PUT", "PATCH", "DELETE"])
