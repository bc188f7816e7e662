"""The arkivleder's arkivuttrekk as a job: queued by the API, run by the journal's job runner.

The runner is one background job of the journal process. It claims the oldest queued job
(a conditional update, so two processes never run the same one), exports the folder into
a working folder under `<var_dir>/uttrekk/`, validates it, writes both reports and the tar
(`<id>.tar`, written as `.partial` and renamed when complete) and removes the folder. The
row carries the progress (journalposts written of the total) and the validator's counts.
Every replica runs a runner. While a job runs, its runner renews the job's `livstegn`
(sign of life) every HEARTBEAT_S; a running job whose sign of life is older than STALE_S was
interrupted by a stop or a crash of its replica, and whichever runner looks next (at its
start and at every poll) marks it failed; the arkivleder asks again. A runner never fails a
job another live replica is running.

A finished job's tar holds screened content, so it is not kept for ever: `uttrekk_keep_days`
after the job finished, the runner marks it expired and removes its tar and reports (the row
stays, as the record that the extraction was made, by whom and when).
"""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import tempfile
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlmodel import col

from arkiv5_kit.db import Database

from ..blobstore import BlobStore
from ..context import now_utc
from ..errors import Conflict, NotFound, Unprocessable
from ..models import Arkivdel, UttrekkJobb
from ..settings import JournalSettings
from .export import ExportError, ExportRequest, export_extraction
from .tarball import write_tar
from .validate import StructureCheck, validate_extraction

log = logging.getLogger(__name__)

QUEUED, RUNNING, DONE, FAILED, EXPIRED = "queued", "running", "done", "failed", "expired"
POLL_S = 5.0
HEARTBEAT_S = 20.0
STALE_S = 90.0
INTERRUPTED = "interrupted: the service stopped while the export ran; ask again"
UNEXPECTED = "the export failed; the service log says why"
REMOVED = "the tar and the reports were removed {days} days after the job finished; ask again"


def folder_of(settings: JournalSettings) -> Path:
    return settings.var_dir / "uttrekk"


def tar_of(settings: JournalSettings, job_id: UUID) -> Path:
    return folder_of(settings) / f"{job_id}.tar"


def report_of(settings: JournalSettings, job_id: UUID, kind: str) -> Path:
    """The validator's report of the job, `kind` json or html."""
    return folder_of(settings) / f"{job_id}-valideringsrapport.{kind}"


def tar_name(job: UttrekkJobb) -> str:
    """The tar's top folder and download name: the period it holds."""
    return f"arkivuttrekk-{job.fra.isoformat()}-{job.til.isoformat()}"


async def order(session: Any, *, arkivdel_id: UUID, fra: date, til: date, arkivskaper_id: str | None,
                arkivskaper_navn: str | None, ordered_by: str) -> UttrekkJobb:
    """Queue a job (the caller's unit of work commits it); refused when it could never run."""
    if til < fra:
        raise Unprocessable("til is before fra.")
    found = await session.execute(select(col(Arkivdel.system_id)).where(col(Arkivdel.system_id) == arkivdel_id))
    if found.scalar_one_or_none() is None:
        raise Unprocessable("No arkivdel with this systemID.")
    job = UttrekkJobb(arkivdel_id=arkivdel_id, fra=fra, til=til, arkivskaper_id=arkivskaper_id,
                      arkivskaper_navn=arkivskaper_navn, bestilt_av=ordered_by, bestilt=now_utc())
    session.add(job)
    await session.flush()
    return job


async def job_of(session: Any, job_id: UUID, *, done: bool = False) -> UttrekkJobb:
    """The job; with `done`, only a finished one (its tar and report exist)."""
    job: UttrekkJobb | None = await session.get(UttrekkJobb, job_id)
    if job is None:
        raise NotFound("No arkivuttrekk job with this id.")
    if done and job.status != DONE:
        raise Conflict(f"The arkivuttrekk job is {job.status}; the tar and the report exist when it is done.")
    return job


class UttrekkRunner:
    def __init__(self, settings: JournalSettings, database: Database, blobs: BlobStore) -> None:
        self.settings, self.database, self.blobs = settings, database, blobs
        self.wake = asyncio.Event()
        self.started = asyncio.Event()
        """Set once the jobs interrupted by the last stop are marked failed."""

    async def run(self, stopping: asyncio.Event) -> None:
        await self.mark_interrupted()
        self.started.set()
        while not stopping.is_set():
            await self.mark_interrupted()
            await self.remove_expired()
            job = await self.claim()
            if job is None:
                self.wake.clear()
                waiters = [asyncio.ensure_future(stopping.wait()), asyncio.ensure_future(self.wake.wait())]
                await asyncio.wait(waiters, timeout=POLL_S, return_when=asyncio.FIRST_COMPLETED)
                for waiter in waiters:
                    waiter.cancel()
                continue
            await self.execute(job)

    async def mark_interrupted(self) -> int:
        """Fail the running jobs whose runner has given no sign of life for STALE_S."""
        stale = now_utc() - timedelta(seconds=STALE_S)
        async with self.database.unit_of_work() as session:
            result = await session.execute(
                update(UttrekkJobb).where(col(UttrekkJobb.status) == RUNNING,
                                          col(UttrekkJobb.livstegn).is_(None) | (col(UttrekkJobb.livstegn) < stale))
                .values(status=FAILED, melding=INTERRUPTED, ferdig=now_utc()))
        count = int(getattr(result, "rowcount", 0) or 0)
        if count:
            log.warning("arkivuttrekk: %d job(s) interrupted by a stop marked failed", count)
        return count

    async def remove_expired(self) -> int:
        """Mark the jobs finished more than `uttrekk_keep_days` ago expired, then remove their files.

        The row is changed first, so no download starts on a file about to go. The files of
        every expired job are removed (missing ones skipped), so a stop between the commit and
        the removal leaves nothing behind after the next poll; expired jobs are few (one per
        deposit).
        """
        days = self.settings.uttrekk_keep_days
        cutoff = now_utc() - timedelta(days=days)
        async with self.database.unit_of_work() as session:
            result = await session.execute(
                update(UttrekkJobb).where(col(UttrekkJobb.status) == DONE, col(UttrekkJobb.ferdig) < cutoff)
                .values(status=EXPIRED, melding=REMOVED.format(days=days)))
            expired = (await session.execute(
                select(col(UttrekkJobb.id)).where(col(UttrekkJobb.status) == EXPIRED))).scalars().all()
        count = int(getattr(result, "rowcount", 0) or 0)
        for job_id in expired:
            for path in (tar_of(self.settings, job_id), report_of(self.settings, job_id, "json"),
                         report_of(self.settings, job_id, "html")):
                path.unlink(missing_ok=True)
        if count:
            log.info("arkivuttrekk: %d finished job(s) expired, their tars and reports removed", count)
        return count

    async def claim(self) -> UttrekkJobb | None:
        async with self.database.unit_of_work() as session:
            candidate = (await session.execute(
                select(col(UttrekkJobb.id)).where(col(UttrekkJobb.status) == QUEUED)
                .order_by(col(UttrekkJobb.bestilt)).limit(1))).scalar_one_or_none()
            if candidate is None:
                return None
            claimed = await session.execute(
                update(UttrekkJobb).where(col(UttrekkJobb.id) == candidate, col(UttrekkJobb.status) == QUEUED)
                .values(status=RUNNING, startet=now_utc(), livstegn=now_utc()))
            if not getattr(claimed, "rowcount", 0):
                return None
            job = await session.get(UttrekkJobb, candidate)
            if job is not None:
                session.expunge(job)
            return job

    async def _set(self, job_id: UUID, **values: object) -> None:
        async with self.database.unit_of_work() as session:
            await session.execute(update(UttrekkJobb).where(col(UttrekkJobb.id) == job_id).values(**values))

    def _progress(self, job_id: UUID) -> Callable[[int, int], Awaitable[None]]:
        async def told(written: int, total: int) -> None:
            await self._set(job_id, skrevet=written, journalposter=total)
        return told

    async def _keep_alive(self, job_id: UUID) -> None:
        while True:
            await asyncio.sleep(HEARTBEAT_S)
            try:
                await self._set(job_id, livstegn=now_utc())
            except Exception:  # a missed sign of life is retried; the job itself goes on
                log.warning("arkivuttrekk: the job's sign of life could not be written", exc_info=True)

    async def execute(self, job: UttrekkJobb) -> None:
        heartbeat = asyncio.create_task(self._keep_alive(job.id))
        try:
            await self._execute(job)
        finally:
            heartbeat.cancel()

    async def _execute(self, job: UttrekkJobb) -> None:
        folder = folder_of(self.settings)
        folder.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(prefix=".arbeid-", dir=folder))
        early = StructureCheck()  # arkivstruktur.xml checked on the other core while the rest is written
        try:
            out = work / tar_name(job)
            request = ExportRequest(arkivdel_id=job.arkivdel_id, fra=job.fra, til=job.til, out=out,
                                    arkivskaper_id=job.arkivskaper_id, arkivskaper_navn=job.arkivskaper_navn,
                                    public_types=self.settings.public_journal_types,
                                    public_statuses=self.settings.public_journal_statuses,
                                    on_progress=self._progress(job.id),
                                    on_structure_written=lambda out: early.start(out, job.fra, job.til))
            result = await export_extraction(self.database.engine, self.blobs, request)
            report = await asyncio.to_thread(validate_extraction, out, early)
            report.extraction = tar_name(job)
            document = report.as_json()
            report_of(self.settings, job.id, "json").write_text(json.dumps(document, ensure_ascii=False),
                                                                encoding="utf-8")
            report_of(self.settings, job.id, "html").write_text(report.as_html(), encoding="utf-8")
            target = tar_of(self.settings, job.id)
            partial = target.with_name(target.name + ".partial")
            with partial.open("wb") as handle:
                await asyncio.to_thread(write_tar, out, handle, tar_name(job))
            partial.replace(target)
            await self._set(job.id, status=DONE, journalposter=result.journalposter, skrevet=result.journalposter,
                            feil=document["summary"]["error"], advarsler=document["summary"]["warning"],
                            ferdig=now_utc())
            log.info("arkivuttrekk job done: %d journalposts, %d errors", result.journalposter, report.errors)
        except (ExportError, LookupError) as error:
            await self._set(job.id, status=FAILED, melding=str(error)[:500], ferdig=now_utc())
        except Exception:  # the job fails, the runner and the service go on
            log.exception("arkivuttrekk job failed")
            await self._set(job.id, status=FAILED, melding=UNEXPECTED, ferdig=now_utc())
        finally:
            early.close()
            shutil.rmtree(work, ignore_errors=True)
