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
from arkiv5_kit.limits import Year

from ... import corrections, search, service, visibility
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
from ..deps import Reader, Writer, code_of, ctx_of, db_of, journalpost_view

router = APIRouter(tags=["journal"])


@router.get("/journalposter/{journalpost_id}", response_model=JournalpostOut)
async def get_journalpost(journalpost_id: UUID, request: Request, response: Response,
                          caller: Reader) -> JournalpostOut:
    async with db_of(request).unit_of_work() as session:
        out = await journalpost_view(session, caller, journalpost_id)
        response.headers["ETag"] = corrections.etag(await service.get_journalpost(session, journalpost_id))
        return out


@router.patch("/journalposter/{journalpost_id}", response_model=JournalpostOut, responses=openapi.CORRECTION_RESPONSES,
              openapi_extra=openapi.merge_patch(corrections.JournalpostPatch))
async def correct_journalpost(journalpost_id: UUID, request: Request, response: Response,
                              caller: Writer) -> JournalpostOut:
    """JSON merge-patch of the correctable fields; numbers, journaldato and journalposttype never change."""
    if_match = request.headers.get("if-match")
    if if_match is None:
        raise corrections.PreconditionRequired("A correction needs the If-Match header with the ETag as read.")
    patch = corrections.parse_patch(await request.body(), request.headers.get("content-type"),
                                    corrections.JournalpostPatch, corrections._IMMUTABLE_JOURNALPOST)
    async with db_of(request).unit_of_work() as session:
        journalpost = await corrections.correct_journalpost(session, ctx=ctx_of(request), caller=caller,
                                                            journalpost_id=journalpost_id,
                                                            patch=patch, if_match=if_match)  # type: ignore[arg-type]
        response.headers["ETag"] = corrections.etag(journalpost)
        return await journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/journalstatus", response_model=JournalpostOut)
async def change_status(journalpost_id: UUID, body: StatusChange, request: Request, caller: Writer) -> JournalpostOut:
    async with db_of(request).unit_of_work() as session:
        await service.change_status(session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id,
                                    to=body.journalstatus)
        return await journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/ekspedere", status_code=202, response_model=JournalpostOut)
async def ekspedere(journalpost_id: UUID, request: Request, caller: Writer,
                    dokumentobjekt: Annotated[list[UUID] | None, Query()] = None) -> JournalpostOut:
    async with db_of(request).unit_of_work() as session:
        await service.ekspedere(session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id,
                                dokumentobjekt_ids=dokumentobjekt or [])
        return await journalpost_view(session, caller, journalpost_id, answer=True)


@router.post("/journalposter/{journalpost_id}/avskrivninger", status_code=201, response_model=AvskrivningOut)
async def avskriv(journalpost_id: UUID, body: AvskrivningIn, request: Request, caller: Writer) -> AvskrivningOut:
    async with db_of(request).unit_of_work() as session:
        a = await service.avskriv(session, ctx=ctx_of(request), caller=caller, journalpost_id=journalpost_id, body=body)
        return AvskrivningOut(system_id=a.system_id, avskrivningsdato=a.avskrivningsdato, avskrevet_av=a.avskrevet_av,
                              avskrivningsmaate=body.avskrivningsmaate,
                              referanse_avskrives_av_journalpost=a.referanse_avskrives_av_journalpost)


@router.post("/journalposter/{journalpost_id}/merknader", status_code=201, response_model=MerknadOut)
async def add_merknad(journalpost_id: UUID, body: MerknadIn, request: Request, caller: Writer) -> MerknadOut:
    async with db_of(request).unit_of_work() as session:
        m = await service.add_merknad(session, caller=caller, journalpost_id=journalpost_id, body=body)
        journalpost = await service.get_journalpost(session, journalpost_id)
        return await visibility.journalpost_merknad(
            session, caller, journalpost, await service.get_saksmappe(session, journalpost.saksmappe_id), m,
            answer=True)


@router.get("/journalposter/{journalpost_id}/merknader", response_model=list[MerknadOut])
async def journalpost_merknader(journalpost_id: UUID, request: Request, caller: Reader) -> list[MerknadOut]:
    """The journalpost's remarks, masked as in the journalpost itself."""
    async with db_of(request).unit_of_work() as session:
        return (await journalpost_view(session, caller, journalpost_id)).merknad


@router.post("/journalposter/{journalpost_id}/fordeling", status_code=201, response_model=FordelingOut)
async def fordel(journalpost_id: UUID, body: FordelingIn, request: Request, caller: Writer) -> FordelingOut:
    async with db_of(request).unit_of_work() as session:
        f = await service.fordel(session, caller=caller, journalpost_id=journalpost_id, body=body)
        return _fordeling_out(f)


@router.get("/journalposter/{journalpost_id}/fordeling", response_model=list[FordelingOut])
async def fordelinger(journalpost_id: UUID, request: Request, caller: Reader) -> list[FordelingOut]:
    async with db_of(request).unit_of_work() as session:
        await journalpost_view(session, caller, journalpost_id)  # the same read check as the record
        return [_fordeling_out(f) for f in await service.fordelinger(session, journalpost_id)]


def _fordeling_out(f: Any) -> FordelingOut:
    return FordelingOut(fra_saksbehandler=f.fra_saksbehandler_id, til_saksbehandler=f.til_saksbehandler_id,
                        til_administrativ_enhet=f.til_administrativ_enhet_id, fordelt_at=f.fordelt_at,
                        fordelt_av=f.fordelt_av)


@router.get("/journalposter", response_model=Page[JournalpostOut])
async def list_journalposter(
    request: Request, caller: Reader,
    journalaar: Year | None = None, journalstatus: str | None = None, journalposttype: str | None = None,
    administrativ_enhet: Annotated[UUID | None, Query(alias="administrativEnhet")] = None,
    saksbehandler: UUID | None = None,
    fra: date | None = None, til: date | None = None,
    top: Annotated[int, Query(alias="$top", ge=1, le=100)] = 25,
    skip: Annotated[int, Query(alias="$skip", ge=0)] = 0,
) -> Page[JournalpostOut]:
    status = code_of(Journalstatus, journalstatus, "journalstatus")
    kind = code_of(Journalposttype, journalposttype, "journalposttype")
    async with db_of(request).unit_of_work() as session:
        wanted = repository.JournalpostFilter(
            journalaar=journalaar, journalstatus=status.kode if status else None,
            journalposttype=kind.kode if kind else None, administrativ_enhet=administrativ_enhet,
            saksbehandler=saksbehandler, fra=fra, til=til)
        rows = await repository.journalposter(session, wanted, skip=skip, top=top)
        results = await visibility.journalposter(session, caller, rows, detail=False)
        return Page[JournalpostOut](count=len(results), results=results)


@router.get("/sok", response_model=Page[JournalpostOut])
async def sok(
    request: Request, caller: Reader, q: Annotated[str, Query(min_length=1, max_length=500)],
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
    async with db_of(request).unit_of_work() as session:
        rows, masked = await search.search(session, caller=caller, q=q, filters=filters, top=top, skip=skip,
                                           newest_first=sort.startswith("-"),
                                           may_read_screened=visibility.may_see_screened_journalpost)
        results = await visibility.journalposter_out(session, rows, masked_ids=masked, detail=False)
        return Page[JournalpostOut](count=len(results), results=results)


