"""The change log and the reports (JSON, or CSV with format=csv)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Query, Request

from arkiv5_kit.sessions import ReadSessionDep

from ... import reports
from ...schemas import (
    EndringsloggOut,
    JournalpostOut,
    OffentligJournalpost,
    RestanseOut,
)
from .. import openapi
from ..deps import Reader, csv_or_json, ctx_of

router = APIRouter(tags=["journal"])


@router.get("/endringslogg/{system_id}", response_model=list[EndringsloggOut])
async def endringslogg(system_id: UUID, session: ReadSessionDep, caller: Reader) -> list[EndringsloggOut]:
    return await reports.endringslogg(session, caller=caller, system_id=system_id)


@router.get("/rapporter/restanseliste", response_model=list[RestanseOut], responses=openapi.CSV_OR_JSON)
async def restanseliste(request: Request, session: ReadSessionDep, caller: Reader,
                        format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    rows = await reports.restanseliste(session, ctx=ctx_of(request), caller=caller)
    return csv_or_json(request, format, rows, "restanseliste")


@router.get("/rapporter/offentlig-journal", response_model=list[OffentligJournalpost], responses=openapi.CSV_OR_JSON)
async def offentlig_journal(request: Request, session: ReadSessionDep, caller: Reader, fra: date, til: date,
                            format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    reports.check_range(fra, til)
    rows = await reports.offentlig_journal(session, ctx=ctx_of(request), fra=fra, til=til)
    return csv_or_json(request, format, rows, "offentlig-journal")


@router.get("/rapporter/oppfolging", response_model=list[JournalpostOut])
async def oppfolging(session: ReadSessionDep, caller: Reader) -> list[JournalpostOut]:
    """Registered incoming post not yet processed (journalstatus M or S)."""
    return await reports.oppfolging(session, caller=caller)


@router.get("/rapporter/kvalitet", response_model=list[reports.QualityFinding], responses=openapi.CSV_OR_JSON)
async def kvalitet(request: Request, session: ReadSessionDep, caller: Reader, fra: date, til: date,
                   format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    """The weekly quality report: one line per finding (check, record ids and numbers; no titles)."""
    reports.check_range(fra, til)
    rows = await reports.quality_report(session, fra=fra, til=til)
    return csv_or_json(request, format, rows, "kvalitetsrapport")


@router.get("/rapporter/postjournal", response_model=list[JournalpostOut], responses=openapi.CSV_OR_JSON)
async def postjournal(request: Request, session: ReadSessionDep, caller: Reader, fra: date, til: date,
                      format: Annotated[str | None, Query(pattern="^(json|csv)$")] = None) -> Any:
    reports.check_range(fra, til)
    rows = await reports.postjournal(session, caller=caller, fra=fra, til=til)
    return csv_or_json(request, format, rows, "postjournal")
