"""Conversion jobs: queueing, the worker, the nightly batch, re-runs and the morning report.

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
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.conversion import ConversionDone, ConversionFailed
from arkiv5_contracts.events.journal import DokumentAdded, JournalpostRegistered, JournalpostStatusChanged
from arkiv5_kit.db import Database
from arkiv5_kit.errors import Conflict, NotFound, Unprocessable
from arkiv5_kit.outbox import Outbox

from .journal_client import FiledAttachment, JournalClient, JournalUnavailable, SourceMissing
from .metrics import DURATION, FAILED_LAST_NIGHT, FAILURES, JOBS
from .models import ConversionJob, JournalfoertJournalpost, KnownDokument, NightlyBatch
from .pipeline import Converter, Result
from .settings import ConversionSettings

log = logging.getLogger(__name__)
SERVICE = "conversion"
MAX_BATCH_DAYS = 31  # dates one batch request may cover
REPORT_LIMIT = 1000  # failures listed in one morning report (the counts are always complete)


def _rowcount(result: object) -> int:
    """Rows an UPDATE matched (the async Result's type does not show `rowcount`)."""
    return int(getattr(result, "rowcount", 0) or 0)


def utcnow() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives naive datetimes back; everything here is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _log_batch(what: str, day: str, counts: dict[str, int]) -> None:
    """A batch's progress line: readable as text (`make run`) and as JSON fields; counts only."""
    log.info(f"conversion batch {what} j_date=%s done=%d failed=%d remaining=%d", day, counts["done"],
             counts["failed"], counts["remaining"],
             extra={"j_date": day, **{f"documents_{k}": v for k, v in counts.items()}})


# -- what the journal told: documents, and journalposts that reached J -----------------------

# A document and its journalpost's J come on different topics, so two consumers may record
# them in concurrent transactions that cannot see each other: the worker's sweep makes the
# job for a document recorded this recently whose journalpost is J and which has none.
SWEEP_WINDOW = timedelta(hours=1)


async def record_journalfoert(
    session: AsyncSession, *, settings: ConversionSettings, journalpost_id: UUID, saksmappe_id: UUID | None,
    at: datetime,
) -> JournalfoertJournalpost | None:
    """Remember the journalpost for the nightly batch (and the worker); None if already known.

    A batch for its J date that has run is marked stale: it has something new to convert.
    """
    if await session.get(JournalfoertJournalpost, journalpost_id) is not None:
        return None
    local = at.astimezone(ZoneInfo(settings.timezone)).date()
    journalpost = JournalfoertJournalpost(
        journalpost_id=journalpost_id, saksmappe_id=saksmappe_id, reached_j_date=local, reached_j_at=at,
    )
    session.add(journalpost)
    await session.flush()
    await session.execute(update(NightlyBatch).where(col(NightlyBatch.j_date) == local).values(status="stale"))
    return journalpost


async def record_document(session: AsyncSession, data: DokumentAdded) -> None:
    """Remember a production document as the event told it (a newer version replaces the older)."""
    known = await session.get(KnownDokument, data.dokumentobjekt_id)
    if known is None:
        session.add(KnownDokument(
            dokumentobjekt_id=data.dokumentobjekt_id, journalpost_id=data.journalpost_id, sha256=data.sha256,
            size=data.size, media_type=data.media_type, added_at=utcnow(),
        ))
    elif known.sha256 != data.sha256:
        known.sha256, known.size, known.media_type, known.added_at = data.sha256, data.size, data.media_type, utcnow()
    await session.flush()


def journalfoert_handlers(
    settings: ConversionSettings, conversion: ConversionService,
) -> dict[type, Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]]:
    """Reaching J: by a status change, or by registering incoming post directly as J (no change follows).

    With conversion on event, the journalpost's documents already told get their jobs at once;
    those told later get theirs from the document event.
    """

    async def reached_j(session: AsyncSession, journalpost_id: UUID, saksmappe_id: UUID | None, at: datetime) -> None:
        journalpost = await record_journalfoert(
            session, settings=settings, journalpost_id=journalpost_id, saksmappe_id=saksmappe_id, at=at,
        )
        if journalpost is None or not settings.convert_on_event:
            return
        if await conversion.queue_known_documents(session, journalpost, trigger="event"):
            conversion.wake()

    async def status_changed(session: AsyncSession, envelope: Envelope[JournalpostStatusChanged]) -> None:
        data = envelope.data
        if data.to_status.value == "J":
            await reached_j(session, data.journalpost_id, data.saksmappe_id, envelope.time)

    async def registered(session: AsyncSession, envelope: Envelope[JournalpostRegistered]) -> None:
        data = envelope.data
        if data.journalstatus.value == "J":
            await reached_j(session, data.journalpost_id, data.saksmappe_id, envelope.time)

    return {JournalpostStatusChanged: status_changed, JournalpostRegistered: registered}


def dokument_added_handler(
    settings: ConversionSettings, conversion: ConversionService,
) -> Callable[[AsyncSession, Envelope[DokumentAdded]], Awaitable[None]]:
    """Every production document is recorded; one whose journalpost is already J gets its job at once
    (the usual order for incoming post: register as J, then upload). Either order ends in one job:
    the (dokumentobjekt, checksum) pair is unique."""

    async def handle(session: AsyncSession, envelope: Envelope[DokumentAdded]) -> None:
        data = envelope.data
        if data.variantformat.value != "P":
            return
        await record_document(session, data)
        if not settings.convert_on_event:
            return
        journalpost = await session.get(JournalfoertJournalpost, data.journalpost_id)
        if journalpost is None:
            return
        _, created = await conversion.ensure_job(
            session, dokumentobjekt_id=data.dokumentobjekt_id, source_sha256=data.sha256,
            journalpost_id=data.journalpost_id, saksmappe_id=journalpost.saksmappe_id, trigger="event",
        )
        if created:
            conversion.wake()

    return handle


# -- the job engine -------------------------------------------------------------------------


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
            "created_at": _iso(j.created_at), "finished_at": _iso(j.finished_at),
        }


def _iso(value: datetime | None) -> str | None:
    value = _aware(value)
    return value.isoformat() if value else None


class ConversionService:
    def __init__(
        self, *, settings: ConversionSettings, database: Database, outbox: Outbox, journal: JournalClient,
        converter: Converter,
    ) -> None:
        self.settings = settings
        self.database = database
        self.outbox = outbox
        self.journal = journal
        self.converter = converter
        self.zone = ZoneInfo(settings.timezone)
        self._wake = asyncio.Event()
        self._batches: asyncio.Task[None] | None = None

    def wake(self) -> None:
        self._wake.set()

    # queueing ---------------------------------------------------------------------------

    async def ensure_job(
        self, session: AsyncSession, *, dokumentobjekt_id: UUID, source_sha256: str, journalpost_id: UUID | None,
        saksmappe_id: UUID | None, trigger: str, parent_job_id: UUID | None = None,
    ) -> tuple[ConversionJob, bool]:
        existing = (await session.execute(select(ConversionJob).where(
            col(ConversionJob.dokumentobjekt_id) == dokumentobjekt_id, col(ConversionJob.source_sha256) == source_sha256,
        ))).scalar_one_or_none()
        if existing is not None:
            if existing.journalpost_id is None and journalpost_id is not None:
                existing.journalpost_id, existing.saksmappe_id = journalpost_id, saksmappe_id
            return existing, False
        job = ConversionJob(
            id=uuid.uuid4(), dokumentobjekt_id=dokumentobjekt_id, source_sha256=source_sha256,
            journalpost_id=journalpost_id, saksmappe_id=saksmappe_id, trigger=trigger, status="queued",
            parent_job_id=parent_job_id, created_at=utcnow(),
        )
        session.add(job)
        await session.flush()
        return job, True

    async def queue_known_documents(
        self, session: AsyncSession, journalpost: JournalfoertJournalpost, *, trigger: str,
    ) -> int:
        """A job for each production document of the journalpost the events told; marks it queued."""
        documents = (await session.execute(select(KnownDokument).where(
            col(KnownDokument.journalpost_id) == journalpost.journalpost_id))).scalars().all()
        created = 0
        for document in documents:
            _, new = await self.ensure_job(
                session, dokumentobjekt_id=document.dokumentobjekt_id, source_sha256=document.sha256,
                journalpost_id=journalpost.journalpost_id, saksmappe_id=journalpost.saksmappe_id, trigger=trigger,
            )
            created += new
        await session.execute(update(JournalfoertJournalpost).where(
            col(JournalfoertJournalpost.journalpost_id) == journalpost.journalpost_id,
        ).values(queued_at=utcnow()))
        return created

    async def queue_journalpost(self, journalpost: JournalfoertJournalpost, *, trigger: str) -> int:
        """Make sure each of the journalpost's production documents has a job.

        From the documents the events told; a journalpost of which none was told (one journalført
        before this service kept them, or one without documents) is listed by the journal.
        """
        async with self.database.unit_of_work() as session:
            told = (await session.execute(select(func.count()).select_from(KnownDokument).where(
                col(KnownDokument.journalpost_id) == journalpost.journalpost_id))).scalar_one()
            if told:
                return await self.queue_known_documents(session, journalpost, trigger=trigger)
        documents = await self.journal.list_dokumentobjekter(journalpost.journalpost_id)
        created = 0
        async with self.database.unit_of_work() as session:
            for document in documents:
                _, new = await self.ensure_job(
                    session, dokumentobjekt_id=document.dokumentobjekt_id, source_sha256=document.sha256,
                    journalpost_id=journalpost.journalpost_id, saksmappe_id=journalpost.saksmappe_id,
                    trigger=trigger,
                )
                created += new
            await session.execute(update(JournalfoertJournalpost).where(
                col(JournalfoertJournalpost.journalpost_id) == journalpost.journalpost_id,
            ).values(queued_at=utcnow()))
        return created

    async def sweep_recent_documents(self) -> int:
        """Jobs for documents told within SWEEP_WINDOW whose journalpost is J but which have none."""
        since = utcnow() - SWEEP_WINDOW
        async with self.database.unit_of_work() as session:
            rows = (await session.execute(
                select(KnownDokument, col(JournalfoertJournalpost.saksmappe_id))
                .join(JournalfoertJournalpost,
                      col(JournalfoertJournalpost.journalpost_id) == col(KnownDokument.journalpost_id))
                .outerjoin(ConversionJob, and_(
                    col(ConversionJob.dokumentobjekt_id) == col(KnownDokument.dokumentobjekt_id),
                    col(ConversionJob.source_sha256) == col(KnownDokument.sha256)))
                .where(col(KnownDokument.added_at) >= since, col(ConversionJob.id).is_(None))
            )).all()
            for document, saksmappe_id in rows:
                await self.ensure_job(
                    session, dokumentobjekt_id=document.dokumentobjekt_id, source_sha256=document.sha256,
                    journalpost_id=document.journalpost_id, saksmappe_id=saksmappe_id, trigger="event",
                )
        return len(rows)

    # claiming and running ------------------------------------------------------------------

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
            if _rowcount(result) != 1:
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
            if hashlib.sha256(data).hexdigest() != job.source_sha256:
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
                    job.dokumentobjekt_id, output.path.read_bytes(), source_sha256=job.source_sha256,
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
    ) -> None:
        """Run claimable jobs with the configured concurrency until none is left (`after_each` job)."""

        async def worker() -> None:
            while await self.work_once(journalpost_ids=journalpost_ids):
                if after_each is not None:
                    await after_each()

        await asyncio.gather(*(worker() for _ in range(self.settings.resolved_workers())))

    async def worker_loop(self, stopping: asyncio.Event) -> None:
        """The background worker: queue what reached J, then convert, until stopped."""
        while not stopping.is_set():
            try:
                if self.settings.convert_on_event:
                    await self.sweep_recent_documents()
                    await self.drain()
            except Exception as exc:  # the loop must survive anything a job throws
                log.error("conversion worker error", extra={"error_type": type(exc).__name__})
            self._wake.clear()
            stop = asyncio.ensure_future(stopping.wait())
            wake = asyncio.ensure_future(self._wake.wait())
            await asyncio.wait({stop, wake}, timeout=self.settings.poll_interval_s, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            wake.cancel()

    # nightly --------------------------------------------------------------------------------

    async def run_nightly(self, j_date: date) -> dict[str, int]:
        """Convert everything that reached J on `j_date` and is not converted yet.

        Safe to run twice (done jobs are never redone) and after a crash (the batch row
        stays 'running', stale running jobs are taken again when their lease runs out).
        A journalpost that reaches J on the date while the batch runs marks it stale, and
        the batch takes it too before it says done: it never ends with one left out.
        The log says when it starts, every `batch_progress_every` documents how far it got,
        and when it ends: documents done, failed and remaining. Returns those counts.
        """
        async with self.database.unit_of_work() as session:
            batch = await session.get(NightlyBatch, j_date)
            if batch is None:
                session.add(NightlyBatch(j_date=j_date, status="running", started_at=utcnow()))
            else:
                batch.runs += 1
                batch.status, batch.started_at, batch.finished_at = "running", utcnow(), None
        day = j_date.isoformat()
        finished = 0

        async def progress() -> None:
            nonlocal finished
            finished += 1
            if finished % self.settings.batch_progress_every == 0:
                _log_batch("progress", day, await self._batch_documents(j_date))

        taken: set[UUID] = set()
        while True:
            async with self.database.sessions() as session:
                journalposts = [jp for jp in (await session.execute(select(JournalfoertJournalpost).where(
                    col(JournalfoertJournalpost.reached_j_date) == j_date))).scalars().all()
                    if jp.journalpost_id not in taken]
            if not taken:
                log.info("conversion batch started j_date=%s journalposts=%d", day, len(journalposts),
                         extra={"j_date": day, "journalposts": len(journalposts)})
            for journalpost in journalposts:
                await self.queue_journalpost(journalpost, trigger="nightly")
                taken.add(journalpost.journalpost_id)
            if taken:
                await self.drain(journalpost_ids=list(taken), after_each=progress)
            counts = await self._batch_documents(j_date)
            if counts["remaining"]:
                break  # jobs waiting for a retry: the batch stays running and is resumed
            async with self.database.unit_of_work() as session:
                ended = _rowcount(await session.execute(update(NightlyBatch).where(
                    col(NightlyBatch.j_date) == j_date, col(NightlyBatch.status) == "running",
                ).values(status="done", finished_at=utcnow())))
                if not ended:  # stale: a journalpost reached J on the date meanwhile; take it too
                    await session.execute(update(NightlyBatch).where(col(NightlyBatch.j_date) == j_date)
                                          .values(status="running"))
            if ended:
                break
        await self.refresh_report_gauge()
        _log_batch("ended", day, counts)
        return counts

    async def _batch_documents(self, j_date: date) -> dict[str, int]:
        """The batch's documents (of the journalposts that reached J on `j_date`): done, failed, remaining."""
        async with self.database.sessions() as session:
            by_status = dict((await session.execute(
                select(col(ConversionJob.status), func.count())
                .join(JournalfoertJournalpost,
                      col(JournalfoertJournalpost.journalpost_id) == col(ConversionJob.journalpost_id))
                .where(col(JournalfoertJournalpost.reached_j_date) == j_date)
                .group_by(col(ConversionJob.status)))).all())
        counts = {status: int(by_status.get(status, 0)) for status in ("done", "failed", "queued", "running")}
        return {"done": counts["done"], "failed": counts["failed"], "queued": counts["queued"],
                "running": counts["running"], "remaining": counts["queued"] + counts["running"]}

    # the batch in hand ---------------------------------------------------------------------

    @staticmethod
    def batch_days(first: date, last: date | None = None) -> list[date]:
        """The J dates of one request (API or command line): `first` to `last`, at most MAX_BATCH_DAYS."""
        last = last or first
        if last < first or (last - first).days >= MAX_BATCH_DAYS:
            raise Unprocessable(f"Give a range of 1 to {MAX_BATCH_DAYS} days, `from` not after `to`.")
        return [first + timedelta(days=n) for n in range((last - first).days + 1)]

    async def run_batches(self, days: list[date]) -> dict[date, dict[str, int]]:
        """Run the batch for each date, one after the other; one date's error does not stop the next."""
        results: dict[date, dict[str, int]] = {}
        for day in days:
            try:
                results[day] = await self.run_nightly(day)
            except Exception as exc:  # one date's failure must not stop the next
                log.error("conversion batch error", extra={"j_date": day.isoformat(),
                                                           "error_type": type(exc).__name__})
        return results

    async def start_batches(self, first: date, last: date) -> list[date]:
        """Run the batch now for each J date from `first` to `last`, one after the other, in the background."""
        days = self.batch_days(first, last)
        if self._batches is not None and not self._batches.done():
            raise Conflict("A batch is running; see GET /internal/batches/{date} and try again when it has ended.")

        async def run() -> None:
            await self.run_batches(days)

        self._batches = asyncio.create_task(run())
        return days

    async def wait_for_batches(self) -> None:
        if self._batches is not None:
            await asyncio.shield(self._batches)

    async def stop_batches(self) -> None:
        if self._batches is not None and not self._batches.done():
            self._batches.cancel()
            await asyncio.gather(self._batches, return_exceptions=True)

    async def batch_status(self, j_date: date) -> dict[str, object]:
        """How far the batch for a J date got: its run, and its documents by status (counted, not loaded)."""
        async with self.database.sessions() as session:
            batch = await session.get(NightlyBatch, j_date)
            journalposts = int((await session.execute(
                select(func.count()).select_from(JournalfoertJournalpost)
                .where(col(JournalfoertJournalpost.reached_j_date) == j_date))).scalar_one())
            not_listed = int((await session.execute(
                select(func.count()).select_from(JournalfoertJournalpost)
                .where(col(JournalfoertJournalpost.reached_j_date) == j_date,
                       col(JournalfoertJournalpost.queued_at).is_(None)))).scalar_one())
        return {
            "j_date": j_date.isoformat(),
            "status": batch.status if batch else "not-started",
            "runs": batch.runs if batch else 0,
            "started_at": _iso(batch.started_at) if batch else None,
            "ended_at": _iso(batch.finished_at) if batch else None,
            "journalposts": journalposts, "journalposts_not_yet_listed": not_listed,
            "documents": await self._batch_documents(j_date),
        }

    async def recent_batches(self, limit: int = 14) -> list[dict[str, object]]:
        """The latest batches (by J date, newest first), each as `batch_status` tells it."""
        async with self.database.sessions() as session:
            days = (await session.execute(select(col(NightlyBatch.j_date))
                                          .order_by(col(NightlyBatch.j_date).desc()).limit(limit))).scalars().all()
        return [await self.batch_status(day) for day in days]

    def next_run(self, after: datetime) -> datetime:
        hour, minute = (int(p) for p in self.settings.nightly_time.split(":"))
        local = after.astimezone(self.zone)
        candidate = datetime.combine(local.date(), dtime(hour, minute), self.zone)
        if candidate <= local:
            candidate = datetime.combine(local.date() + timedelta(days=1), dtime(hour, minute), self.zone)
        return candidate

    async def nightly_loop(self, stopping: asyncio.Event) -> None:
        """At the scheduled local time, run the batch for yesterday; catch up a missed or crashed run."""
        while not stopping.is_set():
            try:
                await self._catch_up()
            except Exception as exc:
                log.error("nightly batch error", extra={"error_type": type(exc).__name__})
            wait = (self.next_run(utcnow()) - utcnow()).total_seconds()
            try:
                await asyncio.wait_for(stopping.wait(), timeout=max(1.0, min(wait, 3600)))
            except TimeoutError:
                pass

    async def _catch_up(self) -> None:
        now = utcnow().astimezone(self.zone)
        hour, minute = (int(p) for p in self.settings.nightly_time.split(":"))
        today_run = datetime.combine(now.date(), dtime(hour, minute), self.zone)
        if now < today_run:
            return
        j_date = now.date() - timedelta(days=1)
        async with self.database.sessions() as session:
            batch = await session.get(NightlyBatch, j_date)
        if batch is None or batch.status != "done":
            await self.run_nightly(j_date)

    # on demand ------------------------------------------------------------------------------

    async def convert_on_demand(
        self, *, dokumentobjekt_id: UUID, journalpost_id: UUID | None, wait: bool,
    ) -> tuple[ConversionJob, bool]:
        """A single document now (SvarUt's outgoing letters): returns the job and whether it is new."""
        data = await self.journal.download(dokumentobjekt_id)
        sha256 = hashlib.sha256(data).hexdigest()
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
            count = _rowcount(result)
        self.wake()
        await self.refresh_report_gauge()
        return count

    # the morning report ---------------------------------------------------------------------

    def report_window(self, day: date) -> tuple[datetime, datetime]:
        """'Last night' for the morning of `day`: from noon the day before to noon on `day` (local)."""
        if not (date.min + timedelta(days=2) <= day <= date.max - timedelta(days=2)):
            raise Unprocessable("The report date is out of range.")
        cutoff = dtime(self.settings.report_cutoff_hour)
        end = datetime.combine(day, cutoff, self.zone)
        return end - timedelta(days=1), end

    def _window_utc(self, day: date | None) -> tuple[date, datetime, datetime]:
        day = day or utcnow().astimezone(self.zone).date()
        start, end = self.report_window(day)
        # Compare in UTC: SQLite keeps the wall-clock value and drops the offset.
        return day, start.astimezone(UTC), end.astimezone(UTC)

    async def _count(self, session: AsyncSession, status: str, start: datetime, end: datetime) -> int:
        """Jobs of a status finished in [start, end): one indexed count, never the rows."""
        finished = col(ConversionJob.finished_at)
        query = select(func.count()).select_from(ConversionJob).where(
            col(ConversionJob.status) == status, finished >= start, finished < end)
        return int((await session.execute(query)).scalar_one())

    async def morning_report(self, day: date | None = None) -> dict[str, object]:
        day, start, end = self._window_utc(day)
        finished = col(ConversionJob.finished_at)
        async with self.database.sessions() as session:
            failed = await self._count(session, "failed", start, end)
            done = await self._count(session, "done", start, end)
            failures = (await session.execute(select(ConversionJob).where(
                col(ConversionJob.status) == "failed", finished >= start, finished < end,
            ).order_by(finished).limit(REPORT_LIMIT))).scalars().all()
            j_date = day - timedelta(days=1)
            batch = await session.get(NightlyBatch, j_date)
        return {
            "date": day.isoformat(), "from": _iso(start), "to": _iso(end),
            "batch": {"j_date": j_date.isoformat(), "href": f"/internal/batches/{j_date.isoformat()}",
                      "status": batch.status if batch else "not-started"},
            "converted": done, "failed": failed, "listed": len(failures),
            "failures": [
                {"job_id": str(j.id), "dokumentobjekt_id": str(j.dokumentobjekt_id),
                 "journalpost_id": str(j.journalpost_id) if j.journalpost_id else None,
                 "saksmappe_id": str(j.saksmappe_id) if j.saksmappe_id else None,
                 "format": j.format, "source_puid": j.source_puid, "source_media_type": j.source_media_type,
                 "reason_code": j.reason_code, "reason": j.reason, "finished_at": _iso(j.finished_at)}
                for j in failures
            ],
        }

    async def refresh_report_gauge(self) -> None:
        """The failure gauge from one indexed count (it runs after every failed job)."""
        _, start, end = self._window_utc(None)
        async with self.database.sessions() as session:
            failed = await self._count(session, "failed", start, end)
        FAILED_LAST_NIGHT.labels(SERVICE).set(failed)
