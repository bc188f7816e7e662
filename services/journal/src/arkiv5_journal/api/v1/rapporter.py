"""The change log and the reports (JSON, or CSV with format=csv)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from ... import reports
from ...schemas import (
    EndringsloggOut,
    JournalpostOut,
    OffentligJournalpost,
    RestanseOut,
)
from ..deps import Reader, csv_or_json, ctx_of, db_of

router = APIRouter(tags=["journal"])


@router.get("/endringslogg/{system_id}", response_model=list[EndringsloggOut])
async def endringslogg(system_id: UUID, request: Request, caller: Reader) -> list[EndringsloggOut]:
    async with db_of(request).unit_of_work() as session:
        return await reports.endringslogg(session, caller=caller, system_id=system_id)


@router.get("/rapporter/restanseliste", response_model=list[RestanseOut])
async def restanseliste(request: Request, caller: Reader,
                        format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    async with db_of(request).unit_of_work() as session:
        rows = await reports.restanseliste(session, ctx=ctx_of(request), caller=caller)
    return csv_or_json(request, format, rows, "restanseliste")


@router.get("/rapporter/offentlig-journal", response_model=list[OffentligJournalpost])
async def offentlig_journal(request: Request, caller: Reader, fra: date, til: date,
                            format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    reports.check_range(fra, til)
    async with db_of(request).unit_of_work() as session:
        rows = await reports.offentlig_journal(session, ctx=ctx_of(request), fra=fra, til=til)
    return csv_or_json(request, format, rows, "offentlig-journal")


@router.get("/rapporter/oppfolging", response_model=list[JournalpostOut])
async def oppfolging(request: Request, caller: Reader) -> list[JournalpostOut]:
    """Registered incoming post not yet processed (journalstatus M or S)."""
    async with db_of(request).unit_of_work() as session:
        return await reports.oppfolging(session, caller=caller)


@router.get("/rapporter/kvalitet", response_model=list[reports.QualityFinding])
async def kvalitet(request: Request, caller: Reader, fra: date, til: date,
                   format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    """The weekly quality report: one line per finding (check, record ids and numbers; no titles)."""
    reports.check_range(fra, til)
    async with db_of(request).unit_of_work() as session:
        rows = await reports.quality_report(session, fra=fra, til=til)
    return csv_or_json(request, format, rows, "kvalitetsrapport")


@router.get("/rapporter/postjournal", response_model=list[JournalpostOut])
async def postjournal(request: Request, caller: Reader, fra: date, til: date,
                      format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    reports.check_range(fra, til)
    async with db_of(request).unit_of_work() as session:
        rows = await reports.postjournal(session, caller=caller, fra=fra, til=til)
    return csv_or_json(request, format, rows, "postjournal")
