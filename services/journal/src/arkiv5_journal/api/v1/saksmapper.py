"""Saksmapper: create (idempotent), read, correct, close, client cases, their journalposts and remarks."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request, Response

from arkiv5_kit.proxy import location
from arkiv5_kit.sessions import ReadSessionDep, SessionDep

from ... import corrections, idempotency, visibility
from ...saksmappe import close as closing
from ...saksmappe import create as creation
from ...saksmappe import listing
from ...saksmappe import merknader as remarks
from ...saksmappe import reopen as reopening
from ...schemas import (
    AvsluttSaksmappe,
    JournalpostOut,
    KlientAvslutning,
    MerknadIn,
    MerknadOut,
    Page,
    SaksmappeCreate,
    SaksmappeOut,
)
from ...store import repository
from .. import openapi
from ..deps import IDEMPOTENCY_KEY_HEADER, Reader, Writer, ctx_of, db_of, saksmappe_view

router = APIRouter(tags=["journal"])


@router.post("/saksmapper", status_code=201, response_model=SaksmappeOut, openapi_extra=IDEMPOTENCY_KEY_HEADER,
             responses={201: {"description": "The case, registered", "links": openapi.CASE_LINKS}})
async def create_saksmappe(body: SaksmappeCreate, request: Request, response: Response, caller: Writer) -> SaksmappeOut:
    key = idempotency.requested(request.headers.get(idempotency.HEADER), caller,
                                lambda: idempotency.fingerprint("POST /saksmapper", body.model_dump(mode="json")))

    async def create(session: Any) -> tuple[SaksmappeOut, UUID]:
        saksmappe = await creation.create_saksmappe(session, ctx=ctx_of(request), caller=caller, body=body)
        return await visibility.saksmappe(session, caller, saksmappe, answer=True), saksmappe.system_id

    result = await idempotency.create_once(db_of(request), key, 201, create)
    if isinstance(result, idempotency.Replayed):
        response.status_code = result.status_code
        async with db_of(request).unit_of_work() as session:
            result = await saksmappe_view(session, caller, await repository.get_saksmappe(session, result.resource_id))
    response.headers["Location"] = location(request, f"/saksmapper/{result.system_id}")
    return result


@router.get("/saksmapper", response_model=Page[SaksmappeOut])
async def list_saksmapper(
    session: ReadSessionDep, caller: Reader,
    saksdato_fra: Annotated[date | None, Query(alias="saksdatoFra")] = None,
    saksdato_til: Annotated[date | None, Query(alias="saksdatoTil")] = None,
    top: Annotated[int, Query(alias="$top", ge=1, le=100)] = 25,
    skip: Annotated[int, Query(alias="$skip", ge=0, le=1000)] = 0,
) -> Page[SaksmappeOut]:
    """Cases by saksdato (both ends inclusive), oldest first; each as the caller may see it."""
    results = await listing.by_saksdato(session, caller=caller, fra=saksdato_fra, til=saksdato_til, top=top, skip=skip)
    return Page[SaksmappeOut](count=len(results), results=results)


@router.get("/saksmapper/{saksmappe_id}", response_model=SaksmappeOut)
async def get_saksmappe(saksmappe_id: UUID, session: ReadSessionDep, response: Response,
                        caller: Reader) -> SaksmappeOut:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    response.headers["ETag"] = corrections.etag(saksmappe)
    return await saksmappe_view(session, caller, saksmappe)


@router.patch("/saksmapper/{saksmappe_id}", response_model=SaksmappeOut, responses=openapi.CORRECTION_RESPONSES,
              openapi_extra=openapi.merge_patch(corrections.SaksmappePatch))
async def correct_saksmappe(saksmappe_id: UUID, request: Request, session: SessionDep, response: Response,
                            caller: Writer) -> SaksmappeOut:
    """JSON merge-patch of the correctable fields; If-Match with the ETag as read is required."""
    if_match = request.headers.get("if-match")
    if if_match is None:
        raise corrections.PreconditionRequired("A correction needs the If-Match header with the ETag as read.")
    patch = corrections.parse_patch(await request.body(), request.headers.get("content-type"),
                                    corrections.SaksmappePatch, corrections.IMMUTABLE_SAKSMAPPE)
    saksmappe = await corrections.correct_saksmappe(session, ctx=ctx_of(request), caller=caller,
                                                    saksmappe_id=saksmappe_id,
                                                    patch=patch, if_match=if_match)
    response.headers["ETag"] = corrections.etag(saksmappe)
    return await visibility.saksmappe(session, caller, saksmappe, answer=True)


@router.post("/saksmapper/{saksmappe_id}/avslutt", response_model=SaksmappeOut)
async def close_saksmappe(saksmappe_id: UUID, request: Request, session: SessionDep, caller: Writer,
                          body: AvsluttSaksmappe | None = None) -> SaksmappeOut:
    body = body or AvsluttSaksmappe()
    saksmappe = await closing.close_saksmappe(session, ctx=ctx_of(request), caller=caller,
                                              saksmappe_id=saksmappe_id, saksstatus=body.saksstatus)
    return await visibility.saksmappe(session, caller, saksmappe, answer=True)


@router.post("/saksmapper/{saksmappe_id}/gjenaapne", response_model=SaksmappeOut)
async def reopen_saksmappe(saksmappe_id: UUID, session: SessionDep, caller: Writer) -> SaksmappeOut:
    """A closed case (A, S or U) back under behandling (B): a correction, so the archive service's."""
    saksmappe = await reopening.reopen_saksmappe(session, caller=caller, saksmappe_id=saksmappe_id)
    return await visibility.saksmappe(session, caller, saksmappe, answer=True)


@router.post("/klientsaker/avslutt", response_model=list[SaksmappeOut])
async def close_client_cases(body: KlientAvslutning, request: Request, session: SessionDep,
                             caller: Writer) -> list[SaksmappeOut]:
    """The client moved away or the service ended: close all the client's open cases, or none."""
    closed = await closing.close_client_cases(session, ctx=ctx_of(request), caller=caller,
                                              foedselsnummer=body.foedselsnummer)
    return [await visibility.saksmappe(session, caller, c, answer=True) for c in closed]


@router.get("/saksmapper/{saksmappe_id}/journalposter", response_model=Page[JournalpostOut])
async def list_case_journalposter(saksmappe_id: UUID, session: ReadSessionDep, caller: Reader) -> Page[JournalpostOut]:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    rows = await repository.journalposter_in_case(session, saksmappe_id)
    results = await visibility.journalposter(session, caller, [(j, saksmappe) for j in rows])
    return Page[JournalpostOut](count=len(results), results=results)


@router.post("/saksmapper/{saksmappe_id}/merknader", status_code=201, response_model=MerknadOut)
async def add_saksmappe_merknad(saksmappe_id: UUID, body: MerknadIn, session: SessionDep, request: Request,
                                response: Response, caller: Writer) -> MerknadOut:
    m = await remarks.add_saksmappe_merknad(session, caller=caller, saksmappe_id=saksmappe_id, body=body)
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    full = await visibility.may_see_screened_saksmappe(session, caller, saksmappe, answer=True)
    [out] = await visibility.saksmappe_merknader(session, saksmappe, [m], full=full)
    response.headers["Location"] = location(request, f"/saksmapper/{saksmappe_id}/merknader")
    return out


@router.get("/saksmapper/{saksmappe_id}/merknader", response_model=list[MerknadOut])
async def saksmappe_merknader(saksmappe_id: UUID, session: ReadSessionDep, caller: Reader) -> list[MerknadOut]:
    saksmappe = await repository.get_saksmappe(session, saksmappe_id)
    return await visibility.saksmappe_merknader_for(
        session, caller, saksmappe, await remarks.merknader(session, saksmappe_id=saksmappe_id))


