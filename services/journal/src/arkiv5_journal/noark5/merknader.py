"""Merknad in the Noark 5 interface: a saksmappe's or journalpost's remarks as resources of their own.

Listed from the record's `arkivstruktur/merknad/` link (paged like the other lists), created on
its `arkivstruktur/ny-merknad/` through the journal's own use cases (`journalpost.merknad`,
`saksmappe.merknader`, under the same policy: the right to add a remark), read by systemID.
Every merknad is read from its record as `visibility` renders it for the caller, so a text the
record's screening hides is masked here exactly as in our own API, and a caller who may not
read the record gets the record's own answer.

A merknad is never changed or deleted: the journal has no such use case (the standard lets
merknadsdato and merknadRegistrertAv never change, and the remark is part of the record's
history), so PUT, PATCH and DELETE are refused with `feil` and the reason.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import DomainError
from arkiv5_kit.sessions import ReadSessionDep

from .. import visibility
from ..api.deps import Reader, Writer, db_of, journalpost_view, saksmappe_view
from ..context import now_utc
from ..errors import NotFound
from ..journalpost.merknad import add_merknad
from ..saksmappe.merknader import add_saksmappe_merknad
from ..schemas import MerknadIn, MerknadOut
from ..store import owners, repository
from . import odata, render
from .http import Noark5Route, hal, json_object, link, rel
from .saksmapper import validated

router = APIRouter(route_class=Noark5Route, include_in_schema=False)

REL = "arkivstruktur/merknad"
NEW_REL = "arkivstruktur/ny-merknad"
# Set by the archive when the remark is registered (dropped from a posted template).
SERVER_SET = frozenset({"systemID", "merknadsdato", "merknadRegistrertAv", "referanseMerknadRegistrertAv"})


class MerknadFixed(DomainError):
    """A change to a registered merknad: the journal has no use case for it."""

    status, slug, title = 403, "merknad-fixed", "A merknad is not changed once registered"


def merknad_path(system_id: UUID) -> str:
    return f"{REL}/{system_id}/"


def etag(merknad_id: UUID) -> str:
    """A merknad never changes, so its systemID alone versions it (opaque, as the records' tags)."""
    return f'"{hashlib.sha256(f"merknad:{merknad_id}".encode()).hexdigest()[:32]}"'


def _owner_links(request: Request, *, saksmappe_id: UUID | None, journalpost_id: UUID | None) -> dict[str, Any]:
    if journalpost_id is not None:
        own = link(request, render.journalpost_path(journalpost_id))
        return {rel("sakarkiv/journalpost"): own, rel("arkivstruktur/registrering"): own}
    assert saksmappe_id is not None
    own = link(request, render.saksmappe_path(saksmappe_id))
    return {rel("sakarkiv/saksmappe"): own, rel("arkivstruktur/mappe"): own}


def _rendered(request: Request, out: MerknadOut, **owner: UUID | None) -> dict[str, Any]:
    own = merknad_path(out.system_id)
    body: dict[str, Any] = out.model_dump(mode="json", by_alias=True, exclude_none=True)
    try:
        body["referanseMerknadRegistrertAv"] = str(UUID(out.merknad_registrert_av))  # a person, not a system
    except ValueError:
        pass
    return {**body, "_links": {"self": link(request, own), rel(REL): link(request, own),
                               **_owner_links(request, **owner)}}


def _list(request: Request, own: str, remarks: list[MerknadOut], top: str | None, skip: str | None,
          **owner: UUID | None) -> JSONResponse:
    page = odata.page_only(request.query_params, top, skip)
    window = remarks[page.skip:page.skip + page.top]
    return hal(request, render.paged(request, own, page, [_rendered(request, m, **owner) for m in window],
                                     more=len(remarks) > page.skip + page.top))


def _template(request: Request, own: str) -> JSONResponse:
    """What the server would set; the client fills in merknadstekst (and merknadstype)."""
    return hal(request, {"merknadsdato": now_utc().isoformat(),
                         "_links": {"self": link(request, own), rel(NEW_REL): link(request, own)}})


async def _posted(request: Request) -> MerknadIn:
    body = await json_object(request, read_only=SERVER_SET)
    kind = body.get("merknadstype")
    if isinstance(kind, dict) and "kode" in kind:
        body["merknadstype"] = kind["kode"]  # the standard's code object; the journal keeps its code
    posted: MerknadIn = validated(MerknadIn, body)
    return posted


def _created(request: Request, out: MerknadOut, **owner: UUID | None) -> JSONResponse:
    return hal(request, _rendered(request, out, **owner), status_code=201, etag=etag(out.system_id),
               location_path=merknad_path(out.system_id))


# --- a journalpost's -------------------------------------------------------------------------


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/merknad/")
async def journalpost_merknader(
    journalpost_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    view = await journalpost_view(session, caller, journalpost_id)
    return _list(request, render.journalpost_path(journalpost_id) + "merknad/", view.merknad, top, skip,
                 saksmappe_id=None, journalpost_id=journalpost_id)


@router.get("/noark5/api/sakarkiv/journalpost/{journalpost_id}/ny-merknad/")
async def ny_journalpost_merknad(journalpost_id: UUID, request: Request, session: ReadSessionDep,
                                 caller: Writer) -> JSONResponse:
    await journalpost_view(session, caller, journalpost_id)  # the record's own answer if it is not to be seen
    return _template(request, render.journalpost_path(journalpost_id) + "ny-merknad/")


@router.post("/noark5/api/sakarkiv/journalpost/{journalpost_id}/ny-merknad/")
async def create_journalpost_merknad(journalpost_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    body = await _posted(request)
    async with db_of(request).unit_of_work() as session:
        merknad = await add_merknad(session, caller=caller, journalpost_id=journalpost_id, body=body)
        journalpost = await repository.get_journalpost(session, journalpost_id)
        saksmappe = await repository.get_saksmappe(session, journalpost.saksmappe_id)
        out = await visibility.journalpost_merknad(session, caller, journalpost, saksmappe, merknad, answer=True)
    return _created(request, out, saksmappe_id=None, journalpost_id=journalpost_id)


# --- a saksmappe's (its own, not its journalposts') -----------------------------------------


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/merknad/")
async def saksmappe_merknader(
    saksmappe_id: UUID, request: Request, session: ReadSessionDep, caller: Reader,
    top: Annotated[str | None, Query(alias="$top")] = None,
    skip: Annotated[str | None, Query(alias="$skip")] = None,
) -> JSONResponse:
    view = await saksmappe_view(session, caller, await repository.get_saksmappe(session, saksmappe_id))
    return _list(request, render.saksmappe_path(saksmappe_id) + "merknad/", view.merknad, top, skip,
                 saksmappe_id=saksmappe_id, journalpost_id=None)


@router.get("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/ny-merknad/")
async def ny_saksmappe_merknad(saksmappe_id: UUID, request: Request, session: ReadSessionDep,
                               caller: Writer) -> JSONResponse:
    await visibility.saksmappe(session, caller, await repository.get_saksmappe(session, saksmappe_id))
    return _template(request, render.saksmappe_path(saksmappe_id) + "ny-merknad/")


@router.post("/noark5/api/sakarkiv/saksmappe/{saksmappe_id}/ny-merknad/")
async def create_saksmappe_merknad(saksmappe_id: UUID, request: Request, caller: Writer) -> JSONResponse:
    body = await _posted(request)
    async with db_of(request).unit_of_work() as session:
        merknad = await add_saksmappe_merknad(session, caller=caller, saksmappe_id=saksmappe_id, body=body)
        saksmappe = await repository.get_saksmappe(session, saksmappe_id)
        full = await visibility.may_see_screened_saksmappe(session, caller, saksmappe, answer=True)
        [out] = await visibility.saksmappe_merknader(session, saksmappe, [merknad], full=full)
    return _created(request, out, saksmappe_id=saksmappe_id, journalpost_id=None)


# --- one merknad -----------------------------------------------------------------------------


async def _read(session: Any, caller: Caller, merknad_id: UUID) -> tuple[MerknadOut, UUID | None, UUID | None]:
    """The merknad as its record shows it to the caller (the record's answer if it may not be read)."""
    saksmappe_id, journalpost_id = await owners.owner_of_merknad(session, merknad_id)
    if journalpost_id is not None:
        remarks = (await journalpost_view(session, caller, journalpost_id)).merknad
    else:
        assert saksmappe_id is not None
        remarks = (await saksmappe_view(session, caller, await repository.get_saksmappe(session, saksmappe_id))).merknad
    found = next((m for m in remarks if m.system_id == merknad_id), None)
    if found is None:
        raise NotFound("No merknad has this systemID.")
    return found, saksmappe_id, journalpost_id


@router.get("/noark5/api/arkivstruktur/merknad/{merknad_id}/")
async def get_merknad(merknad_id: UUID, request: Request, session: ReadSessionDep, caller: Reader) -> JSONResponse:
    out, saksmappe_id, journalpost_id = await _read(session, caller, merknad_id)
    return hal(request, _rendered(request, out, saksmappe_id=saksmappe_id, journalpost_id=journalpost_id),
               etag=etag(merknad_id))


@router.api_route("/noark5/api/arkivstruktur/merknad/{merknad_id}/", methods=["PUT", "PATCH", "DELETE"])
async def change_merknad(merknad_id: UUID, session: ReadSessionDep, caller: Writer) -> JSONResponse:
    """Refused: the caller who may read the merknad learns why; others get the record's answer."""
    await _read(session, caller, merknad_id)
    raise MerknadFixed("The journal has no operation that changes or deletes a merknad once registered; "
                       "register a new merknad on the same record instead.")
