"""The job engine: claiming with a lease, converting outside any transaction, finishing with the
outbox event; the worker; conversion on demand and re-runs.

The conversion itself runs outside any transaction (it may take minutes); a job is
claimed with a lease in one short transaction and finished in another, together with its
outbox event. A job whose worker died is taken again when its lease has run out, and a
finished job is never converted again: the (dokumentobjekt, source checksum) pair is
unique, so a second nightly run or a repeated event finds it done.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID

from sqlalchemy import ColumnElement, and_, or_, select, update
from sqlmodel import col

from arkiv5_contracts.events.conversion import ConversionDone, ConversionFailed
from arkiv5_kit.errors import NotFound, Unprocessable
from arkiv5_kit.idle import IdleBackoff

from .journal_client import FiledAttachment, JournalUnavailable, SourceMissing
from .metrics import DURATION, FAILURES, JOBS
from .models import ConversionJob
from .pipeline import Result
from .report import SERVICE, MorningReport
from .values import iso, rowcount, utcnow

log = logging.getLogger(__name__)


def _sha256_hex(data: bytes) -> str:
    """The document's checksum; run in a worker thread (hashlib lets go of the GIL), not on the loop."""
    return hashlib.sha256(data).hexdigest()


@dataclass
class JobView:
    job: ConversionJob

    def as_dict(self) -> dict[str, object]:
        j = self.job
        return {
            "job_id": str(j.id), "dokumentobjekt_id": str(j.dokumentobjekt_id),
            "journalpost_id": str(j.journalpost_id) if j.journalpost_id else None,
            "saksmappe_id": str(j.saksmappe_id) if j.saksmappe_id else None,
            "status": j.status, "trigger": j.trigger, "attempts": j.attempts,
            "format": j.format, "source_puid": j.source_puid, "source_media_type": j.source_media_type,
            "source_sha256": j.source_sha256,
            "archival_dokumentobjekt_id": str(j.archival_dokumentobjekt_id) if j.archival_dokumentobjekt_id else None,
            "archival_puid": j.archival_puid, "archival_media_type": j.archival_media_type, "kept": j.kept,
            "sha256": j.sha256, "size": j.size, "pages": j.pages,
            "reason_code": j.reason_code, "reason": j.reason,
            "created_at": iso(j.created_at), "finished_at": iso(j.finished_at),
        }


class NotConvertible(Unprocessable):
    """A document that cannot be made into a PDF (its `reason_code` says why)."""

    slug, title = "not-convertible", "The document cannot be made into a PDF"


class JobEngine(MorningReport):
    """Claim, convert, finish; the worker; on demand; re-runs."""

    def _claimable(self, now: datetime) -> ColumnElement[bool]:
        return or_(
            and_(col(ConversionJob.status) == "queued",
                 or_(col(ConversionJob.not_before).is_(None), col(ConversionJob.not_before) <= now)),
            and_(col(ConversionJob.status) == "running", col(ConversionJob.lease_until) < now),
        )

    async def claim(self, job_id: UUID | None = None, *, journalpost_ids: list[UUID] | None = None) -> ConversionJob | None:
        """Take one job (a given one, or the oldest claimable) with a lease; None if there is none."""
        now = utcnow()
        claim = uuid.uuid4()
        async with self.database.unit_of_work() as session:
            if job_id is None:
                query = select(col(ConversionJob.id)).where(self._claimable(now))
                if journalpost_ids is not None:
                    query = query.where(col(ConversionJob.journalpost_id).in_(journalpost_ids))
                job_id = (await session.execute(query.order_by(col(ConversionJob.created_at)).limit(1))).scalar()
                if job_id is None:
                    return None
            result = await session.execute(
                update(ConversionJob).where(col(ConversionJob.id) == job_id, self._claimable(now)).values(
                    status="running", claim=claim, attempts=ConversionJob.attempts + 1, started_at=now,
                    lease_until=now + timedelta(seconds=self.settings.resolved_lease_s()),
                )
            )
            if rowcount(result) != 1:
                return None
            job = await session.get(ConversionJob, job_id)
            assert job is not None
            return job

    async def run_job(self, job: ConversionJob) -> ConversionJob:
        """Fetch, convert, put back, record — for a job this worker has claimed."""
        started = time.perf_counter()
        label = job.format or "unknown"  # the duration metric's format: known once identified
        workdir = Path(tempfile.mkdtemp(prefix="arkiv5-conv-", dir=self.settings.work_dir))
        try:
            try:
                data = await self.journal.download(job.dokumentobjekt_id)
            except SourceMissing:
                return await self._finish_failed(job, None, "source-missing", "the journal does not have the document")
            if await asyncio.to_thread(_sha256_hex, data) != job.source_sha256:
                return await self._finish_failed(job, None, "checksum-mismatch",
                                                 "the document's bytes do not match the recorded checksum")
            result = await self.converter.convert(data, workdir)
            label = result.format
            if not result.ok:
                return await self._finish_failed(job, result, result.code or "failed", result.reason or "failed")
            output = result.output
            assert output is not None
            if output.kept:
                archival_id = job.dokumentobjekt_id
            else:
                assert output.path is not None
                archival_id = await self.journal.put_arkivvariant(
                    job.dokumentobjekt_id, await asyncio.to_thread(output.path.read_bytes),
                    source_sha256=job.source_sha256,
                    archival_sha256=output.sha256, archival_puid=output.puid, media_type=output.media_type,
                )
            filed = await self._file_attachments(job, result)
            return await self._finish_done(job, result, archival_id, filed)
        except JournalUnavailable:
            # Not the document's fault: back to the queue, try again later.
            async with self.database.unit_of_work() as session:
                await session.execute(update(ConversionJob).where(
                    col(ConversionJob.id) == job.id, col(ConversionJob.claim) == job.claim,
                ).values(status="queued", claim=None, lease_until=None,
                         not_before=utcnow() + timedelta(seconds=self.settings.retry_after_s)))
            return job
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
            DURATION.labels(SERVICE, label).observe(time.perf_counter() - started)

    async def _file_attachments(self, job: ConversionJob, result: Result) -> list[tuple[FiledAttachment, str]]:
        """An e-mail's attachments become their own documents in the journal (idempotent there).

        Each then gets its own job (queued in `_finish_done`), converted, validated, reported
        and re-run like any other document. Without a journalpost (an on-demand conversion of
        an outgoing message) there is nowhere to file them: the message's PDF lists them.
        """
        if not result.attachments:
            return []
        if job.journalpost_id is None:
            log.info("attachments not filed: the job has no journalpost", extra={"job_id": str(job.id)})
            return []
        filed = []
        for attachment in result.attachments:
            answer = await self.journal.add_dokumentbeskrivelse(
                job.journalpost_id, attachment.content, source_dokumentobjekt_id=job.dokumentobjekt_id,
                source_sha256=job.source_sha256, attachment_index=attachment.index, filename=attachment.filename,
                declared_media_type=attachment.declared_media_type,
            )
            filed.append((answer, attachment.sha256))
        return filed

    async def _finish_done(
        self, job: ConversionJob, result: Result, archival_id: UUID,
        attachments: list[tuple[FiledAttachment, str]] | None = None,
    ) -> ConversionJob:
        output = result.output
        assert output is not None
        async with self.database.unit_of_work() as session:
            current = await session.get(ConversionJob, job.id)
            if current is None or current.claim != job.claim:
                return current or job  # another worker took over after our lease ran out
            current.status, current.finished_at = "done", utcnow()
            current.claim, current.lease_until = None, None
            current.format, current.source_puid, current.source_media_type = (
                result.format, result.source_puid, result.source_media_type)
            current.archival_dokumentobjekt_id, current.archival_puid = archival_id, output.puid
            current.archival_media_type, current.kept = output.media_type, output.kept
            current.sha256, current.size, current.pages = output.sha256, output.size, output.pages
            current.reason_code = current.reason = None
            for filed, sha256 in attachments or []:
                await self.ensure_job(
                    session, dokumentobjekt_id=filed.dokumentobjekt_id, source_sha256=sha256,
                    journalpost_id=current.journalpost_id, saksmappe_id=current.saksmappe_id, trigger="attachment",
                    parent_job_id=current.id,
                )
            await self.outbox.add(session, ConversionDone(
                job_id=current.id, journalpost_id=current.journalpost_id or uuid.UUID(int=0),
                source_dokumentobjekt_id=current.dokumentobjekt_id, archival_dokumentobjekt_id=archival_id,
                source_puid=result.source_puid, archival_puid=output.puid or "unknown",
                sha256=output.sha256, size=output.size,
                attachment_dokumentobjekt_ids=[filed.dokumentobjekt_id for filed, _ in attachments or []],
            ))
        if attachments:
            self.wake()
        JOBS.labels(SERVICE, result.format, "done").inc()
        log.info("conversion done", extra={"job_id": str(job.id), "format": result.format})
        return current

    async def _finish_failed(self, job: ConversionJob, result: Result | None, code: str, reason: str) -> ConversionJob:
        async with self.database.unit_of_work() as session:
            current = await session.get(ConversionJob, job.id)
            if current is None or current.claim != job.claim:
                return current or job
            current.status, current.finished_at = "failed", utcnow()
            current.claim, current.lease_until = None, None
            if result is not None:
                current.format, current.source_puid, current.source_media_type = (
                    result.format, result.source_puid, result.source_media_type)
            current.reason_code, current.reason = code[:60], reason[:500]
            await self.outbox.add(session, ConversionFailed(
                job_id=current.id, journalpost_id=current.journalpost_id or uuid.UUID(int=0),
                source_dokumentobjekt_id=current.dokumentobjekt_id, source_puid=current.source_puid,
                reason_code=current.reason_code, reason=current.reason,
            ))
        JOBS.labels(SERVICE, current.format or "unknown", "failed").inc()
        FAILURES.labels(SERVICE, current.reason_code or "unknown").inc()
        await self.refresh_report_gauge()
        log.warning("conversion failed", extra={"job_id": str(job.id), "reason_code": code})
        return current

    async def work_once(self, *, journalpost_ids: list[UUID] | None = None) -> bool:
        job = await self.claim(journalpost_ids=journalpost_ids)
        if job is None:
            return False
        await self.run_job(job)
        return True

    async def drain(
        self, *, journalpost_ids: list[UUID] | None = None,
        after_each: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        """Run claimable jobs with the configured concurrency until none is left (`after_each` job); how many ran."""
        ran = 0

        async def worker() -> None:
            nonlocal ran
            while await self.work_once(journalpost_ids=journalpost_ids):
                ran += 1
                if after_each is not None:
                    await after_each()

        await asyncio.gather(*(worker() for _ in range(self.settings.resolved_workers())))
        return ran

    async def worker_loop(self, stopping: asyncio.Event) -> None:
        """The background worker: queue what reached J, then convert, until stopped.

        New jobs wake it; its poll only finds expired leases and retries that fell due, so the
        poll grows while it finds nothing (arkiv5_kit.idle).
        """
        idle = IdleBackoff(self.settings.poll_interval_s, self.settings.idle_poll_max_s)
        while not stopping.is_set():
            try:
                if self.settings.convert_on_event and await self.sweep_recent_documents() + await self.drain():
                    idle.reset()
            except Exception as exc:  # the loop must survive anything a job throws
                log.error("conversion worker error", extra={"error_type": type(exc).__name__})
            self._wake.clear()
            stop = asyncio.ensure_future(stopping.wait())
            wake = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({stop, wake}, timeout=idle.next_s(), return_when=asyncio.FIRST_COMPLETED)
            if wake.done():
                idle.reset()
            stop.cancel()
            wake.cancel()

    # on demand ------------------------------------------------------------------------------

    async def convert_on_demand(
        self, *, dokumentobjekt_id: UUID, journalpost_id: UUID | None, wait: bool,
    ) -> tuple[ConversionJob, bool]:
        """A single document now (SvarUt's outgoing letters): returns the job and whether it is new."""
        data = await self.journal.download(dokumentobjekt_id)
        sha256 = await asyncio.to_thread(_sha256_hex, data)
        async with self.database.unit_of_work() as session:
            job, created = await self.ensure_job(
                session, dokumentobjekt_id=dokumentobjekt_id, source_sha256=sha256, journalpost_id=journalpost_id,
                saksmappe_id=None, trigger="api",
            )
        if wait and job.status in ("queued", "running"):
            claimed = await self.claim(job.id)
            if claimed is not None:
                job = await self.run_job(claimed)
            else:
                job = await self._wait_for(job.id)
        elif not wait:
            self.wake()
        return job, created

    async def sending_copy(self, dokumentobjekt_id: UUID) -> bytes:
        """A PDF of the document to send (SvarUt's letters), the formats kept as they are included.

        Made now and not filed: the archive keeps the document (and its archival variant), the
        letter carries this copy. Raises NotConvertible with the reason code when it cannot be made.
        """
        data = await self.journal.download(dokumentobjekt_id)
        workdir = Path(tempfile.mkdtemp(prefix="arkiv5-send-", dir=self.settings.work_dir))
        try:
            result = await self.converter.sending_pdf(data, workdir)
            output = result.output
            if output is None:
                FAILURES.labels(SERVICE, result.code or "unknown").inc()
                log.warning("sending copy failed", extra={"dokumentobjekt_id": str(dokumentobjekt_id),
                                                          "reason_code": result.code})
                raise NotConvertible(result.reason or "the document could not be made into a PDF",
                                     reason_code=result.code)
            log.info("sending copy made", extra={"dokumentobjekt_id": str(dokumentobjekt_id), "format": result.format})
            return data if output.kept or output.path is None else await asyncio.to_thread(output.path.read_bytes)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    async def _wait_for(self, job_id: UUID) -> ConversionJob:
        deadline = time.monotonic() + self.settings.job_timeout_s + 30
        while True:
            job = await self.get_job(job_id)
            if job.status in ("done", "failed") or time.monotonic() > deadline:
                return job
            await asyncio.sleep(0.2)

    async def get_job(self, job_id: UUID) -> ConversionJob:
        async with self.database.sessions() as session:
            job = await session.get(ConversionJob, job_id)
        if job is None:
            raise NotFound("No conversion job with that id.")
        return job

    async def rerun_failed(self, *, job_ids: list[UUID] | None, since: datetime | None) -> int:
        async with self.database.unit_of_work() as session:
            query = update(ConversionJob).where(col(ConversionJob.status) == "failed")
            if job_ids:
                query = query.where(col(ConversionJob.id).in_(job_ids))
            if since is not None:
                since = since.astimezone(UTC) if since.tzinfo else since.replace(tzinfo=UTC)
                query = query.where(col(ConversionJob.finished_at) >= since)
            result = await session.execute(query.values(
                status="queued", not_before=None, claim=None, lease_until=None, started_at=None))
            count = rowcount(result)
        self.wake()
        await self.refresh_report_gauge()
        return count
