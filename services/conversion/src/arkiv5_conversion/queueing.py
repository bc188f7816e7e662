"""Jobs made: one per (dokumentobjekt, source checksum), from what the events told."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.db import Database
from arkiv5_kit.outbox import Outbox

from .journal_client import JournalClient
from .models import ConversionJob, JournalfoertJournalpost, KnownDokument
from .pipeline import Converter
from .settings import ConversionSettings
from .values import utcnow

# A document and its journalpost's J come on different topics, so two consumers may record
# them in concurrent transactions that cannot see each other: the worker's sweep makes the
# job for a document recorded this recently whose journalpost is J and which has none.
SWEEP_WINDOW = timedelta(hours=1)


class JobQueue:
    """The service's parts, and the queue of jobs (the first layer of ConversionService)."""

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
        return await self._queue(session, journalpost, [(d.dokumentobjekt_id, d.sha256) for d in documents],
                                 trigger=trigger)

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
        listed = await self.journal.list_dokumentobjekter(journalpost.journalpost_id)
        async with self.database.unit_of_work() as session:
            return await self._queue(session, journalpost, [(d.dokumentobjekt_id, d.sha256) for d in listed],
                                     trigger=trigger)

    async def _queue(
        self, session: AsyncSession, journalpost: JournalfoertJournalpost, documents: list[tuple[UUID, str]],
        *, trigger: str,
    ) -> int:
        """A job for each (dokumentobjekt, checksum) of the journalpost, and the journalpost marked queued."""
        created = 0
        for dokumentobjekt_id, sha256 in documents:
            _, new = await self.ensure_job(
                session, dokumentobjekt_id=dokumentobjekt_id, source_sha256=sha256,
                journalpost_id=journalpost.journalpost_id, saksmappe_id=journalpost.saksmappe_id, trigger=trigger,
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
