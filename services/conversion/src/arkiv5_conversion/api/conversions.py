"""Internal API: on-demand conversion, job status, re-runs, the morning report. Translates only."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from arkiv5_kit.auth import Principal, require_scopes
from arkiv5_kit.errors import DomainError, NotFound

from ..journal_client import JournalUnavailable, SourceMissing
from ..service import ConversionService, JobView

router = APIRouter(prefix="/internal", tags=["conversion"])
CONVERT = "conversion.convert"
REPORT = "conversion.report"


class JournalUnreachable(DomainError):
    status, slug, title = 503, "journal-unavailable", "The journal is unavailable"


class ConversionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dokumentobjekt_id: UUID = Field(description="The source dokumentobjekt (systemID)")
    journalpost_id: UUID | None = Field(default=None, description="Its journalpost, for the report")
    target_media_type: str | None = Field(
        default=None, max_length=255,
        description="What the caller wants (application/pdf); the format policy decides, and the answer says",
    )
    wait: bool = Field(default=True, description="Convert now and answer with the result (else 202, queued)")


class BatchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_date: date = Field(alias="from", description="The first J date (local) to convert")
    to_date: date | None = Field(default=None, alias="to", description="The last J date; default: `from`")


class RerunRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    job_ids: list[UUID] | None = Field(default=None, max_length=10000)
    since: datetime | None = Field(default=None, description="Only failures that finished at or after this")


def _service(request: Request) -> ConversionService:
    return request.app.state.conversion


@router.post("/conversions", summary="Convert one document now (or queue it)")
async def convert(
    body: ConversionRequest, request: Request,
    _: Annotated[Principal, Depends(require_scopes(CONVERT))],
) -> JSONResponse:
    try:
        job, created = await _service(request).convert_on_demand(
            dokumentobjekt_id=body.dokumentobjekt_id, journalpost_id=body.journalpost_id, wait=body.wait,
        )
    except SourceMissing:
        raise NotFound("The journal has no dokumentobjekt with that id.") from None
    except JournalUnavailable:
        raise JournalUnreachable("The journal did not answer; nothing was changed. Try again later.") from None
    status = 202 if job.status in ("queued", "running") else (201 if created else 200)
    return JSONResponse(JobView(job).as_dict(), status_code=status)


class SendingCopyRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dokumentobjekt_id: UUID = Field(description="The document to send (its production dokumentobjekt)")


@router.post(
    "/conversions/sending-copy", summary="A PDF of a document to send, kept formats included (not filed)",
    response_class=Response,
    # application/octet-stream first: client generators recognise a file download only by it.
    responses={200: {"content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}},
                                 "application/pdf": {"schema": {"type": "string", "format": "binary"}}},
                     "description": "The PDF (Content-Type: application/pdf)"}},
)
async def sending_copy(
    body: SendingCopyRequest, request: Request, _: Annotated[Principal, Depends(require_scopes(CONVERT))],
) -> Response:
    try:
        pdf = await _service(request).sending_copy(body.dokumentobjekt_id)
    except SourceMissing:
        raise NotFound("The journal has no dokumentobjekt with that id.") from None
    except JournalUnavailable:
        raise JournalUnreachable("The journal did not answer; nothing was changed. Try again later.") from None
    return Response(pdf, media_type="application/pdf")


@router.get("/conversions/{job_id}", summary="One conversion job")
async def get_job(
    job_id: UUID, request: Request, _: Annotated[Principal, Depends(require_scopes(CONVERT))],
) -> dict[str, Any]:
    return JobView(await _service(request).get_job(job_id)).as_dict()


@router.post("/conversions/rerun-failed", summary="Queue failed jobs again")
async def rerun_failed(
    body: RerunRequest, request: Request, _: Annotated[Principal, Depends(require_scopes(CONVERT))],
) -> dict[str, int]:
    count = await _service(request).rerun_failed(job_ids=body.job_ids, since=body.since)
    return {"requeued": count}


@router.get("/reports/morning", summary="Last night's failures (document, case, format, reason)")
async def morning_report(
    request: Request, _: Annotated[Principal, Depends(require_scopes(REPORT))],
    day: Annotated[date | None, Query(alias="date", description="The morning to report on (local date)")] = None,
) -> dict[str, Any]:
    return await _service(request).morning_report(day)


@router.get("/engines", summary="Which converters are installed")
async def engines(request: Request, _: Annotated[Principal, Depends(require_scopes(REPORT))]) -> dict[str, Any]:
    return request.app.state.engines


@router.post("/batches", status_code=202, summary="Run the nightly batch now, for one J date or a range")
async def run_batches(
    body: BatchRequest, request: Request, _: Annotated[Principal, Depends(require_scopes(CONVERT))],
) -> dict[str, Any]:
    days = await _service(request).start_batches(body.from_date, body.to_date or body.from_date)
    return {"started": [d.isoformat() for d in days],
            "status": [f"/internal/batches/{d.isoformat()}" for d in days]}


@router.get("/batches", summary="The latest batches, newest J date first, each with how far it got")
async def recent_batches(
    request: Request, _: Annotated[Principal, Depends(require_scopes(REPORT))],
    limit: Annotated[int, Query(ge=1, le=366, description="How many J dates")] = 14,
) -> dict[str, Any]:
    return {"items": await _service(request).recent_batches(limit)}


@router.get("/batches/{j_date}", summary="How far the batch for a J date got")
async def batch_status(
    j_date: date, request: Request, _: Annotated[Principal, Depends(require_scopes(REPORT))],
) -> dict[str, Any]:
    return await _service(request).batch_status(j_date)
