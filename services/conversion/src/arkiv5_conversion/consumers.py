"""What the journal tells the service: production documents, and journalposts that reached J.

A job is made from what the events told (a document's id, checksum, size, media type), never
by asking the journal again; only the nightly batch asks, for a journalpost of which no
document was told.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.journal import DokumentAdded, JournalpostRegistered, JournalpostStatusChanged

from .models import JournalfoertJournalpost, KnownDokument, NightlyBatch
from .settings import ConversionSettings
from .values import utcnow

if TYPE_CHECKING:
    from .service import ConversionService


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
