"""Dispatch queries: the recipients of a journalpost, and each recipient's letters (forsendelse_mottaker)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..models import ForsendelseMottaker, Journalpost, Korrespondansepart

ACTIVE_STATES = ("requested", "waiting", "accepted", "delivered")


async def lock_journalpost(session: AsyncSession, journalpost_id: UUID) -> Journalpost | None:
    """The journalpost, locked for update on PostgreSQL: concurrent sendings of one journalpost queue
    here, and the second sees what the first sent (SQLite writers are serialised by the kit)."""
    query = (select(Journalpost).where(col(Journalpost.system_id) == journalpost_id)
             .with_for_update().execution_options(populate_existing=True))
    return (await session.execute(query)).scalar_one_or_none()


async def parts_of(session: AsyncSession, journalpost_id: UUID) -> list[Korrespondansepart]:
    query = select(Korrespondansepart).where(col(Korrespondansepart.journalpost_id) == journalpost_id)
    return list((await session.execute(query)).scalars())


async def active_recipients(session: AsyncSession, journalpost_id: UUID) -> set[UUID]:
    """The recipients whose letter is requested, waiting, accepted or delivered: never sent again."""
    query = select(col(ForsendelseMottaker.korrespondansepart_id)).where(
        col(ForsendelseMottaker.journalpost_id) == journalpost_id, col(ForsendelseMottaker.state).in_(ACTIVE_STATES))
    return set((await session.execute(query)).scalars())


async def letters_of(session: AsyncSession, journalpost_id: UUID) -> list[ForsendelseMottaker]:
    """Every letter of the journalpost, oldest first (a refused one, then its resending)."""
    query = (select(ForsendelseMottaker).where(col(ForsendelseMottaker.journalpost_id) == journalpost_id)
             .order_by(col(ForsendelseMottaker.requested_at), col(ForsendelseMottaker.korrespondansepart_id)))
    return list((await session.execute(query)).scalars())


async def newest_per_recipient(session: AsyncSession, journalpost_id: UUID) -> list[ForsendelseMottaker]:
    """Each recipient's newest letter: where sending to that recipient stands now."""
    newest: dict[UUID, ForsendelseMottaker] = {}
    for letter in await letters_of(session, journalpost_id):
        newest[letter.korrespondansepart_id] = letter
    return list(newest.values())


async def letter(session: AsyncSession, dispatch_id: UUID, recipient_id: UUID) -> ForsendelseMottaker | None:
    query = select(ForsendelseMottaker).where(col(ForsendelseMottaker.dispatch_id) == dispatch_id,
                                              col(ForsendelseMottaker.korrespondansepart_id) == recipient_id)
    return (await session.execute(query)).scalar_one_or_none()


async def newest_letter(session: AsyncSession, recipient_id: UUID) -> ForsendelseMottaker | None:
    query = (select(ForsendelseMottaker).where(col(ForsendelseMottaker.korrespondansepart_id) == recipient_id)
             .order_by(col(ForsendelseMottaker.requested_at).desc()).limit(1))
    return (await session.execute(query)).scalar_one_or_none()
