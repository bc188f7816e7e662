"""The arkivleder's arkivuttrekk (scope journal.admin): ask for one, follow it, download the tar and the report.

`POST /uttrekk` queues the job and answers 202 with its Location; the journal's job runner
exports, validates and packs it (see uttrekk.jobs). The report is JSON, or HTML when the
caller's Accept prefers text/html.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, BackgroundTasks, Header, Request, Response
from fastapi.responses import FileResponse, HTMLResponse
from pydantic import Field

from arkiv5_kit.sessions import ReadSessionDep, SessionDep

from ...models import UttrekkJobb
from ...schemas import ApiModel
from ...uttrekk import jobs
from .. import openapi
from ..deps import Admin

router = APIRouter(tags=["arkivuttrekk"])


class UttrekkIn(ApiModel):
    arkivdel: UUID
    fra: date = Field(description="First journaldato of the period")
    til: date = Field(description="Last journaldato of the period (included)")
    arkivskaper_id: str | None = Field(default=None, alias="arkivskaperID", min_length=1, max_length=255)
    arkivskaper_navn: str | None = Field(default=None, min_length=1, max_length=500)


class Fremdrift(ApiModel):
    skrevet: int = Field(description="Journalposts written so far")
    journalposter: int | None = Field(description="Journalposts in the period, once the export has counted them")


class UttrekkOut(ApiModel):
    id: UUID
    status: str = Field(description="queued, running, done, failed, or expired (the tar and reports removed after uttrekk_keep_days)")
    arkivdel: UUID
    fra: date
    til: date
    fremdrift: Fremdrift
    feil: int | None = Field(description="The validator's findings of severity error (when done)")
    advarsler: int | None = Field(description="The validator's warnings (when done)")
    melding: str | None = Field(description="Why the job failed")
    bestilt: datetime
    startet: datetime | None
    ferdig: datetime | None
    fil: str | None = Field(description="The tar's download path, when done")
    rapport: str | None = Field(description="The report's path, when done")


def _out(job: UttrekkJobb) -> UttrekkOut:
    done = job.status == jobs.DONE
    return UttrekkOut(id=job.id, status=job.status, arkivdel=job.arkivdel_id, fra=job.fra, til=job.til,
                      fremdrift=Fremdrift(skrevet=job.skrevet, journalposter=job.journalposter), feil=job.feil,
                      advarsler=job.advarsler, melding=job.melding, bestilt=job.bestilt, startet=job.startet,
                      ferdig=job.ferdig, fil=f"/uttrekk/{job.id}/fil" if done else None,
                      rapport=f"/uttrekk/{job.id}/rapport" if done else None)


@router.post("/uttrekk", status_code=202, response_model=UttrekkOut)
async def order_uttrekk(body: UttrekkIn, request: Request, response: Response, background: BackgroundTasks,
                session: SessionDep, caller: Admin) -> UttrekkOut:
    """Queue an arkivuttrekk of the arkivdel's period; 202 with the job's Location."""
    job = await jobs.order(session, arkivdel_id=body.arkivdel, fra=body.fra, til=body.til,
                           arkivskaper_id=body.arkivskaper_id, arkivskaper_navn=body.arkivskaper_navn,
                           ordered_by=caller.subject)
    out = _out(job)
    response.headers["Location"] = f"/uttrekk/{job.id}"
    # After the response, so after the commit: the runner finds the job at once instead of at its next poll.
    background.add_task(request.app.state.uttrekk_runner.wake.set)
    return out


@router.get("/uttrekk/{job_id}", response_model=UttrekkOut)
async def uttrekk_status(job_id: UUID, session: ReadSessionDep, caller: Admin) -> UttrekkOut:
    return _out(await jobs.job_of(session, job_id))


@router.get("/uttrekk/{job_id}/fil", response_class=FileResponse,
            responses=openapi.TAR_RESPONSE)
async def download_uttrekk(job_id: UUID, request: Request, session: ReadSessionDep, caller: Admin) -> FileResponse:
    job = await jobs.job_of(session, job_id, done=True)
    settings = request.app.state.journal_context.settings
    return FileResponse(jobs.tar_of(settings, job.id), media_type="application/x-tar",
                        filename=f"{jobs.tar_name(job)}.tar")


@router.get("/uttrekk/{job_id}/rapport",
            responses={200: {"content": {"application/json": {}, "text/html": {}},
                             "description": "The validator's report: JSON, or HTML by Accept"}})
async def uttrekk_report(job_id: UUID, request: Request, session: ReadSessionDep, caller: Admin,
                 accept: Annotated[str | None, Header()] = None) -> Response:
    job = await jobs.job_of(session, job_id, done=True)
    settings = request.app.state.journal_context.settings
    if _prefers_html(accept):
        return HTMLResponse(jobs.report_of(settings, job.id, "html").read_bytes())
    return Response(jobs.report_of(settings, job.id, "json").read_bytes(), media_type="application/json")


def _prefers_html(accept: str | None) -> bool:
    """text/html listed before application/json (or without it) in the Accept header."""
    kinds = [part.split(";")[0].strip() for part in (accept or "").split(",")]
    if "text/html" not in kinds:
        return False
    return "application/json" not in kinds or kinds.index("text/html") < kinds.index("application/json")

