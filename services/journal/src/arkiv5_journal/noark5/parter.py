"""Part (sakspart) in the Noark 5 interface: a saksmappe's parties as resources of their own.

The journal's parties of a case are the client of a client case (partRolle KLI, with the
client's fødselsnummer), given when the case is created (`klient`). Every part is read from
the saksmappe as `visibility` renders it for the caller, so it shows exactly what our own
API shows inside the case: in full for a caller cleared for the case, otherwise the
fødselsnummer as ***** and the name masked where the case screens parties' names (or its
screened words replaced); a caller who may not read the case gets its 403. Every part is a
person (the journal records no organisation as a sakspart), so each is a `partperson`.

The journal has no use case that adds a part to an existing case, so `ny-partperson` and
`ny-partenhet` are refused with a 403 whose `feil` says so, and are not linked.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.errors import DomainError
from arkiv5_kit.sessions import ReadSessionDep

from .. import corrections
from ..api.deps import Reader, Writer, saksmappe_view
from ..errors import NotFound
from ..schemas import PartOut
from ..store import parties, repository
from . import render
from .http import Noark5Route, hal, link, rel

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

KIND = "partperson"


class PartGivenWithCase(DomainError):
    """A part is given when its case is created; none is added afterwards."""

    status, slug, title = 403, "part-given-with-case", "A part is given when the case is created"


def _path(part_id: UUID) -> str:
    return f"arkivstruktur/{KIND}/{part_id}/"


def _rendered(request: Request, part: PartOut, saksmappe_id: UUID) -> dict[str, Any]:
    own = _path(part.system_id)
    body: dict[str, Any] = part.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {**body, "_links": {
        "self": link(request, own),
        rel(f"arkivstruktur/{KIND}"): link(request, own),
        rel("arkivstruktur/part"): link(request, own),
        rel("arkivstruktur/mappe"): link(request, render.saksmappe_path(saksmappe_id)),
        rel("sakarkiv/saksmappe"): link(request, render.saksmappe_path(saksmappe_id)),
    }}


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/part/")
async def saksmappe_parts(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                          caller: Reader) -> JSONResponse:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    view = await saksmappe_view(session, caller, saksmappe)
    own = render.saksmappe_path(saksmappe_id) + "part/"
    return hal(request, render.page(request, own, [_rendered(request, part, saksmappe_id) for part in view.part]))


@router.get("/noark5/api/arkivstruktur/partperson/{part_id}/")
async def get_part(part_id: UUID, request: Request, session: ReadSessionDep, caller: Reader) -> JSONResponse:
    saksmappe = await repository.get_saksmappe(session, await parties.saksmappe_of_part(session, part_id))
    view = await saksmappe_view(session, caller, saksmappe)
    for part in view.part:
        if part.system_id == part_id:
            # A part changes only with its case: the case's version is its tag.
            return hal(request, _rendered(request, part, saksmappe.system_id), etag=corrections.etag(saksmappe))
    raise NotFound("No part has this systemID.")


async def _refused(saksmappe_id: UUID, session: ReadSessionDep, _caller: Writer) -> JSONResponse:
    await repository.get_saksmappe(session, saksmappe_id)  # 404 for an unknown case
    raise PartGivenWithCase("A part is given when its case is created (the case's klient); the journal adds "
                            "none to an existing case.")


for _kind in ("partperson", "partenhet"):
    router.add_api_route(f"/noark5/api/sakarkiv/saksmappe/{{saksmappe_id}}/ny-{_kind}/", _refused,
                         methods=["GET", "POST"])
