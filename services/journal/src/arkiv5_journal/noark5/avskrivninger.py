"""Avskrivning in the Noark 5 interface: a journalpost's sign-offs as resources of their own.

Listed from the journalpost's `sakarkiv/avskrivning/` link (paged like the other lists),
created on its `sakarkiv/ny-avskrivning/` through the journal's one sign-off use case
(`journalpost.avskriv`: only I and N, not a cancelled journalpost, the update right), read by
systemID, and deleted (the standard allows it; an avskrivning made in error) through
`slett_avskrivning`, after which the journalpost is outstanding again. Every avskrivning is read
from its journalpost as `visibility` renders it for the caller, so a caller who may not read the
journalpost gets the journalpost's own answer. PUT and PATCH are refused: the journal changes no
avskrivning (delete it and sign off again).
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import DomainError
from arkiv5_kit.sessions import ReadSessionDep

from ..api.deps import Reader, Writer, ctx_of, db_of, journalpost_view
from ..domain.numbering import today_in_oslo
from ..errors import NotFound
from ..journalpost.avskriv import avskriv, slett_avskrivning
from ..schemas import AvskrivningIn, AvskrivningOut
from ..store import owners
from . import odata, render
from .http import Noark5Route, hal, json_object, link, rel
from .saksmapper import validated

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

REL = "sakarkiv/avskrivning"
NEW_REL = "sakarkiv/ny-avskrivning"
# Set by the archive when the journalpost is signed off (dropped from a posted template).
SERVER_SET = frozenset({"systemID", "avskrevetAv", "referanseAvskrevetAv"})


class AvskrivningFixed(DomainError):
    """A change to a registered avskrivning: the journal deletes one, it never changes one."""

    status, slug, title = 403, "avskrivning-fixed", "An avskrivning is not changed once registered"


def avskrivning_path(system_id: UUID) -> str:
    return f"{REL}/{system_id}/"


def etag(avskrivning_id: UUID) -> str:
    """An avskrivning never changes (it is deleted or kept), so its systemID alone versions it."""
    return f'"{hashlib.sha256(f"avskrivning:{avskrivning_id}".encode()).hexdigest()[:32]}"'


def _rendered(request: Request, out: AvskrivningOut, journalpost_id: UUID) -> dict[str, Any]:
    own = avskrivning_path(out.system_id)
    body: dict[str, Any] = out.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        body["referanseAvskrevetAv"] = str(UUID(out.avskrevet_av))  # a person, not a system
    except ValueError:
        pass
    journalpost = link(request, render.journalpost_path(journalpost_id))
    links = {"self": link(request, own), rel(REL): link(request, own), rel("sakarkiv/journalpost"): journalpost,
             rel("arkivstruktur/registrering"): journalpost,
             rel("metadata/avskrivningsmaate"): link(request, "metadata/avskrivningsmaate/")}
    return {**body, "_links": links}


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/avskrivning/")
async def journalpost_avskrivninger(
    journalpost_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    page = odata.page_only(request.query_params, top, skip)
    signed_off = (await journalpost_view(session, caller, journalpost_id)).avskrivning
    window = signed_off[page.skip:page.skip + page.top]
    own = render.journalpost_path(journalpost_id) + "avskrivning/"
    return hal(request, render.paged(request, own, page, [_rendered(request, a, journalpost_id) for a in window],
                                     more=len(signed_off) > page.skip + page.top))


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/ny-avskrivning/")
async def ny_avskrivning(journalpost_id: UUID, request: Request, session: ReadSessionDep,
                         caller: Writer) -> JSONResponse:
    """The template: today's date; the client chooses avskrivningsmaate (and the answering journalpost)."""
    await journalpost_view(session, caller, journalpost_id)  # the journalpost's own answer if it is not to be seen
    own = render.journalpost_path(journalpost_id) + "ny-avskrivning/"
    return hal(request, {
        "avskrivningsdato": today_in_oslo().isoformat(),
        "_links": {"self": link(request, own), rel(NEW_REL): link(request, own),
                   rel("metadata/avskrivningsmaate"): link(request, "metadata/avskrivningsmaate/")},
    })


@router.post("/noark5/api/sakarkiv/journalpost/{journalpost_id}/ny-avskrivning/")
async def create_avskrivning(journalpost_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    body: AvskrivningIn = validated(AvskrivningIn, await json_object(request, read_only=SERVER_SET))
    async with db_of(request).unit_of_work() as session:
        made = await avskriv(session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id, body=body)
    # Built from what was written, as our own API answers a sign-off (the write's right stood in for reading).
    out = AvskrivningOut(system_id=made.system_id, avskrivningsdato=made.avskrivningsdato,
                         avskrevet_av=made.avskrevet_av, avskrivningsmaate=body.avskrivningsmaate,
                         referanse_avskrives_av_journalpost=made.referanse_avskrives_av_journalpost)
    return hal(request, _rendered(request, out, journalpost_id), status_code=201, etag=etag(made.system_id),
               location_path=avskrivning_path(made.system_id))


async def _read(session: Any, caller: Caller, avskrivning_id: UUID) -> tuple[AvskrivningOut, UUID]:
    journalpost_id = await owners.journalpost_of_avskrivning(session, avskrivning_id)
    signed_off = (await journalpost_view(session, caller, journalpost_id)).avskrivning
    found = next((a for a in signed_off if a.system_id == avskrivning_id), None)
    if found is None:
        raise NotFound("No avskrivning has this systemID.")
    return found, journalpost_id


@router.get("/noark5/api/sakarkiv/avskrivning/{avskrivning_id}/")
async def get_avskrivning(avskrivning_id: UUID, request: Request, session: ReadSessionDep,
                          caller: Reader) -> JSONResponse:
    out, journalpost_id = await _read(session, caller, avskrivning_id)
    return hal(request, _rendered(request, out, journalpost_id), etag=etag(avskrivning_id))


@router.delete("/noark5/api/sakarkiv/avskrivning/{avskrivning_id}/", status_code=204)
async def delete_avskrivning(avskrivning_id: UUID, request: Request, caller: Writer) -> Response:
    """Through `slett_avskrivning`: the update right on the journalpost; the change log keeps what it was."""
    async with db_of(request).unit_of_work() as session:
        journalpost_id = await owners.journalpost_of_avskrivning(session, avskrivning_id)
        await slett_avskrivning(session, caller=caller, journalpost_id=journalpost_id, avskrivning_id=avskrivning_id)
    return Response(status_code=204)


@router.api_route("/noark5/api/sakarkiv/avskrivning/{avskrivning_id}/", methods=["PUT", "PATCH"])
async def change_avskrivning(avskrivning_id: UUID, session: ReadSessionDep, caller: Writer) -> JSONResponse:
    """Refused: the caller who may read the avskrivning learns why; others get the journalpost's answer."""
    await _read(session, caller, avskrivning_id)
    raise AvskrivningFixed("The journal has no operation that changes an avskrivning; delete it "
                           "and sign the journalpost off again.")
