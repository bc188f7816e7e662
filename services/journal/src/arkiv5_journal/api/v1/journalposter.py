"""Journalposts: read, correct, status, dispatch, sign-off, remarks, distribution, lists and search."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from arkiv5_contracts.codelists import (
    Journalposttype,
    Journalstatus,
)
from arkiv5_kit.limits import Skip, Year
from arkiv5_kit.sessions import ReadSessionDep, SessionDep

from ... import corrections, search, visibility
from ...journalpost import avskriv as avskrivning
from ...journalpost import fordel as fordeling
from ...journalpost import merknad, status
from ...schemas import (
    AvskrivningIn,
    AvskrivningOut,
    FordelingIn,
    FordelingOut,
    JournalpostOut,
    MerknadIn,
    MerknadOut,
    Page,
    StatusChange,
)
from ...store import repository
from .. import openapi
from ..deps import Reader, Writer, code_of, ctx_of, journalpost_view

router = APIRouter(tags=["journal"])


@router.get("/journalposter/{journalpost_id}", response_model=JournalpostOut)
async def get_journalpost(journalpost_id: UUID, session: ReadSessionDep, response: Response,
                          caller: Reader) -> JournalpostOut:
    out = await journalpost_view(session, caller, journalpost_id)
    response.headers["ETag"] = corrections.etag(await repository.get_journalpost(session, journalpost_id))
    return out


@router.patch("/journalposter/{journalpost_id}", response_model=JournalpostOut, responses=openapi.CORRECTION_RESPONSES,
              openapi_extra=openapi.merge_patch(corrections.JournalpostPatch))
async def correct_journalpost(journalpost_id: UUID, request: Request, session: SessionDep, response: Response,
                              caller: Writer) -> JournalpostOut:
    """JSON merge-patch of the correctable fields; numbers, journaldato and journalposttype never change."""
    if_match = request.headers.get("if-match")
    if if_match is None:
        raise corrections.PreconditionRequired("A correction needs the If-Match header with the ETag as read.")
    patch = corrections.parse_patch(await request.body(), request.headers.get("content-type"),
                                    corrections.JournalpostPatch, corrections.IMMUTABLE_JOURNALPOST)
    journalpost = await corrections.correct_journalpost(session, ctx=ctx_of(request), caller=caller,
                                                        journalpost_id=journalpost_id,
                                                        patch=patch, if_match=if_match)
    response.headers["ETag"] = corrections.etag(journalpost)
    return await journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/journalstatus", response_model=JournalpostOut)
async def change_status(journalpost_id: UUID, body: StatusChange, request: Request, session: SessionDep,
                        caller: Writer) -> JournalpostOut:
    await status.change_status(session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id,
                               to=body.journalstatus)
    return await journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/avskrivninger", status_code=201, response_model=AvskrivningOut)
async def avskriv(journalpost_id: UUID, body: AvskrivningIn, request: Request, session: SessionDep,
                  caller: Writer) -> AvskrivningOut:
    a = await avskrivning.avskriv(session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id, body=body)
    return AvskrivningOut(system_id=a.system_id, avskrivningsdato=a.avskrivningsdato, avskrevet_av=a.avskrevet_av,
                          avskrivningsmaate=body.avskrivningsmaate,
                          referanse_avskrives_av_journalpost=a.referanse_avskrives_av_journalpost)


@router.delete("/journalposter/{journalpost_id}/avskrivninger/{avskrivning_id}", response_model=JournalpostOut)
async def slett_avskrivning(journalpost_id: UUID, avskrivning_id: UUID, session: SessionDep,
                            caller: Writer) -> JournalpostOut:
    """Delete a sign-off; the answer is the journalpost (without it) as the caller may see it."""
    await avskrivning.slett_avskrivning(session, caller=caller, journalpost_id=journalpost_id,
                                        avskrivning_id=avskrivning_id)
    return await journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/merknader", status_code=201, response_model=MerknadOut)
async def add_merknad(journalpost_id: UUID, body: MerknadIn, session: SessionDep, caller: Writer) -> MerknadOut:
    m = await merknad.add_merknad(session, caller=caller, journalpost_id=journalpost_id, body=body)
    journalpost = await repository.get_journalpost(session, journalpost_id)
    return await visibility.journalpost_merknad(
        session, caller, journalpost, await repository.get_saksmappe(session, journalpost.saksmappe_id), m,
        answer=True)


@router.get("/journalposter/{journalpost_id}/merknader", response_model=list[MerknadOut])
async def journalpost_merknader(journalpost_id: UUID, session: ReadSessionDep, caller: Reader) -> list[MerknadOut]:
    """The journalpost's remarks, masked as in the journalpost itself."""
    return (await journalpost_view(session, caller, journalpost_id)).merknad


@router.post("/journalposter/{journalpost_id}/fordeling", status_code=201, response_model=FordelingOut)
async def fordel(journalpost_id: UUID, body: FordelingIn, session: SessionDep, caller: Writer) -> FordelingOut:
    f = await fordeling.fordel(session, caller=caller, journalpost_id=journalpost_id, body=body)
    return _fordeling_out(f)


@router.get("/journalposter/{journalpost_id}/fordeling", response_model=list[FordelingOut])
async def fordelinger(journalpost_id: UUID, session: ReadSessionDep, caller: Reader) -> list[FordelingOut]:
    await journalpost_view(session, caller, journalpost_id)  # the same read check as the record
    return [_fordeling_out(f) for f in await fordeling.fordelinger(session, journalpost_id)]


def _fordeling_out(f: Any) -> FordelingOut:
    return FordelingOut(fra_saksbehandler=f.fra_saksbehandler_id, til_saksbehandler=f.til_saksbehandler_id,
                        til_administrativ_enhet=f.til_administrativ_enhet_id, fordelt_at=f.fordelt_at,
                        fordelt_av=f.fordelt_av)


@router.get("/journalposter", response_model=Page[JournalpostOut])
async def list_journalposter(
    session: ReadSessionDep, caller: Reader,
    journalaar: Year | None = None, journalstatus: str | None = None, journalposttype: str | None = None,
    administrativ_enhet: Annotated[UUID | None, Query(alias="administrativEnhet")] = None,
    saksbehandler: UUID | None = None,
    fra: date | None = None, til: date | None = None,
    top: Annotated[int, Query(alias="$top", ge=1, le=100)] = 25,
    skip: Annotated[Skip, Query(alias="$skip")] = 0,
) -> Page[JournalpostOut]:
    status = code_of(Journalstatus, journalstatus, "journalstatus")
    kind = code_of(Journalposttype, journalposttype, "journalposttype")
    wanted = repository.JournalpostFilter(
        journalaar=journalaar, journalstatus=status.kode if status else None,
        journalposttype=kind.kode if kind else None, administrativ_enhet=administrativ_enhet,
        saksbehandler=saksbehandler, fra=fra, til=til)
    rows = await repository.journalposter(session, wanted, skip=skip, top=top)
    results = await visibility.journalposter(session, caller, rows, detail=False)
    return Page[JournalpostOut](count=len(results), results=results)


@router.get("/sok", response_model=Page[JournalpostOut])
async def sok(
    session: ReadSessionDep, caller: Reader, q: Annotated[str, Query(min_length=1, max_length=500)],
    journalaar: Year | None = None, journalstatus: str | None = None, journalposttype: str | None = None,
    administrativ_enhet: Annotated[UUID | None, Query(alias="administrativEnhet")] = None,
    saksbehandler: UUID | None = None, fra: date | None = None, til: date | None = None,
    sort: Annotated[str, Query(pattern="^-?journaldato$")] = "-journaldato",
    top: Annotated[int, Query(alias="$top", ge=1, le=100)] = 25,
    skip: Annotated[int, Query(alias="$skip", ge=0, le=1000)] = 0,
) -> Page[JournalpostOut]:
    """Full text over titles and parties with filters; screened words match only for those cleared."""
    status = code_of(Journalstatus, journalstatus, "journalstatus")
    kind = code_of(Journalposttype, journalposttype, "journalposttype")
    filters = search.Filters(journalaar=journalaar, journalstatus=status.kode if status else None,
                             journalposttype=kind.kode if kind else None, administrativ_enhet=administrativ_enhet,
                             saksbehandler=saksbehandler, fra=fra, til=til)
    results = await search.search(session, caller=caller, q=q, filters=filters, top=top, skip=skip,
                                  newest_first=sort.startswith("-"))
    return Page[JournalpostOut](count=len(results), results=results)


