"""The admin package's `rettighet` and `tilgang` as read views of the journal's rights read model.

A rettighet is a person's rights in the archive as the access service last sent them
(`RightsChanged`) and as they stand today: roles, own unit, the units led, the access codes
cleared for (tilgangsrestriksjon) and the access groups. The journal holds one set a person
at a time, so a rettighet is addressed by its bruker's systemID. A tilgang is an access
group (`GroupChanged`): its members, the record it opens when it is an ad hoc group, and its
period. Membership alone grants reading the record's screened fields (`les`); what a member
may write follows the member's roles, so `ny`, `endre` and `slett` are false here. Both are
for the archive's administrators only (`journal.admin`, as `bruker`), and are kept by the
access service: no `ny-*` here.
"""

from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import Admin
from ..authz.access import decision_day
from ..models import Rettighet, Tilgangsgruppe
from ..store import repository, rettigheter
from . import odata, render
from .http import Noark5Route, hal, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

RIGHTS = "admin/rettighet/"
ACCESS = "admin/tilgang/"


def _rights(request: Request, rights: Rettighet) -> dict[str, Any]:
    own = f"{RIGHTS}{rights.person_id}/"
    links = {"self": link(request, own), rel("admin/rettighet"): link(request, own),
             rel("admin/bruker"): link(request, f"admin/bruker/{rights.person_id}/")}
    if rights.unit_id is not None:
        links[rel("admin/administrativenhet")] = link(request, f"admin/administrativenhet/{rights.unit_id}/")
    body: dict[str, Any] = {
        "systemID": str(rights.person_id), "referanseBruker": str(rights.person_id), "rolle": list(rights.roles),
        "tilgangsrestriksjon": list(rights.access_codes), "ledetAdministrativEnhet": list(rights.led_unit_ids),
        "tilgangsgruppe": list(rights.group_ids), "gyldigFra": rights.valid_from.isoformat(),
    }
    if rights.unit_id is not None:
        body["referanseAdministrativEnhet"] = str(rights.unit_id)
    if rights.valid_to is not None:
        body["gyldigTil"] = rights.valid_to.isoformat()
    return {**body, "_links": links}


def _access(request: Request, group: Tilgangsgruppe) -> dict[str, Any]:
    own = f"{ACCESS}{group.group_id}/"
    links = {"self": link(request, own), rel("admin/tilgang"): link(request, own)}
    body: dict[str, Any] = {
        "systemID": str(group.group_id), "rolle": "ad hoc-tilgangsgruppe" if group.is_ad_hoc else "tilgangsgruppe",
        "les": True, "ny": False, "endre": False, "slett": False,
        "medlem": list(group.member_person_ids), "gyldigFra": group.valid_from.isoformat(),
    }
    if group.valid_to is not None:
        body["gyldigTil"] = group.valid_to.isoformat()
    if group.journalpost_id is not None:
        body["referanseArkivenhet"] = str(group.journalpost_id)
        links[rel("sakarkiv/journalpost")] = link(request, render.journalpost_path(group.journalpost_id))
    elif group.saksmappe_id is not None:
        body["referanseArkivenhet"] = str(group.saksmappe_id)
        links[rel("sakarkiv/saksmappe")] = link(request, render.saksmappe_path(group.saksmappe_id))
    return {**body, "_links": links}


@router.get("/noark5/api/admin/rettighet/")
async def list_rights(
    request: Request, session: ReadSessionDep, _caller: Admin,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    page = odata.page_only(request.query_params, top, skip)
    rows = await repository.known_persons(session, at=decision_day(), skip=page.skip, top=page.top + 1)
    return hal(request, render.paged(request, RIGHTS, page, [_rights(request, r) for r in rows[:page.top]],
                                     more=len(rows) > page.top))


@router.get("/noark5/api/admin/rettighet/{person_id}/")
async def get_rights(person_id: UUID, request: Request, session: ReadSessionDep, _caller: Admin) -> JSONResponse:
    return hal(request, _rights(request, await repository.known_person(session, person_id, at=decision_day())))


@router.get("/noark5/api/admin/tilgang/")
async def list_access(
    request: Request, session: ReadSessionDep, _caller: Admin,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    page = odata.page_only(request.query_params, top, skip)
    rows = await rettigheter.known_groups(session, skip=page.skip, top=page.top + 1)
    return hal(request, render.paged(request, ACCESS, page, [_access(request, g) for g in rows[:page.top]],
                                     more=len(rows) > page.top))


@router.get("/noark5/api/admin/tilgang/{group_id}/")
async def get_access(group_id: UUID, request: Request, session: ReadSessionDep, _caller: Admin) -> JSONResponse:
    return hal(request, _access(request, await rettigheter.known_group(session, group_id)))
