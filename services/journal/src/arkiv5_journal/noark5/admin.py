"""The admin package as read views of the rights read model: administrativenhet and bruker.

The journal knows units and persons only as the access service's events name them
(`RightsChanged`: a person's own unit and the units they lead), by id: names stay in the
access service, whose events carry no free text. So each unit and person is shown by its
systemID, which is also what the journal records as `administrativEnhet`, `saksansvarlig`
and `opprettetAv`. Units are what anyone who reads the journal picks `administrativEnhet`
from; who has rights in the archive is for the archive's administrators only (the journal's
`journal.admin` scope, as for its other administration), and the bruker links are not shown
to others. Creating units and users is the access service's (no `ny-*` here).
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import ADMIN, Admin, Reader
from ..authz.access import decision_day
from ..errors import NotFound
from ..models import Rettighet
from ..store import repository
from . import odata, render
from .http import Noark5Route, hal, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

UNITS = "admin/administrativenhet/"
PERSONS = "admin/bruker/"


def may_see_persons(caller: Caller) -> bool:
    return caller.claims.has_scopes(ADMIN)


def _unit(request: Request, unit_id: UUID) -> dict[str, Any]:
    own = f"{UNITS}{unit_id}/"
    return {"systemID": str(unit_id), "administrativEnhetNavn": str(unit_id),
            "_links": {"self": link(request, own), rel("admin/administrativenhet"): link(request, own)}}


def _person(request: Request, rights: Rettighet) -> dict[str, Any]:
    own = f"{PERSONS}{rights.person_id}/"
    links = {"self": link(request, own), rel("admin/bruker"): link(request, own),
             rel("admin/rettighet"): link(request, f"admin/rettighet/{rights.person_id}/")}
    if rights.unit_id is not None:
        links[rel("admin/administrativenhet")] = link(request, f"{UNITS}{rights.unit_id}/")
    return {"systemID": str(rights.person_id), "brukerNavn": str(rights.person_id), "_links": links}


@router.get("/noark5/api/admin/")
async def admin(request: Request, caller: Reader) -> JSONResponse:
    links: dict[str, Any] = {
        "self": link(request, "admin/"),
        rel("admin/system"): link(request, "admin/system/"),
        rel("admin/administrativenhet"): link(request, UNITS + render.PAGE_QUERY, templated=True),
    }
    if may_see_persons(caller):
        links[rel("admin/bruker")] = link(request, PERSONS + render.PAGE_QUERY, templated=True)
        # The rights read model's views (noark5/rettigheter.py), for the same administrators.
        links[rel("admin/rettighet")] = link(request, "admin/rettighet/" + render.PAGE_QUERY, templated=True)
        links[rel("admin/tilgang")] = link(request, "admin/tilgang/" + render.PAGE_QUERY, templated=True)
    return hal(request, {"_links": links})


@router.get("/noark5/api/admin/administrativenhet/")
async def list_units(
    request: Request, session: ReadSessionDep, _caller: Reader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    page = odata.page_only(request.query_params, top, skip)
    units = await repository.known_units(session)
    window = units[page.skip:page.skip + page.top]
    return hal(request, render.paged(request, UNITS, page, [_unit(request, u) for u in window],
                                     more=len(units) > page.skip + page.top))


@router.get("/noark5/api/admin/administrativenhet/{unit_id}/")
async def get_unit(unit_id: UUID, request: Request, session: ReadSessionDep, _caller: Reader) -> JSONResponse:
    if unit_id not in await repository.known_units(session):
        raise NotFound("No administrativ enhet has this systemID.")
    return hal(request, _unit(request, unit_id))


@router.get("/noark5/api/admin/bruker/")
async def list_persons(
    request: Request, session: ReadSessionDep, _caller: Admin,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    page = odata.page_only(request.query_params, top, skip)
    rows = await repository.known_persons(session, at=decision_day(), skip=page.skip, top=page.top + 1)
    return hal(request, render.paged(request, PERSONS, page, [_person(request, r) for r in rows[:page.top]],
                                     more=len(rows) > page.top))


@router.get("/noark5/api/admin/bruker/{person_id}/")
async def get_person(person_id: UUID, request: Request, session: ReadSessionDep, _caller: Admin) -> JSONResponse:
    return hal(request, _person(request, await repository.known_person(session, person_id, at=decision_day())))
