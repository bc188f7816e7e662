"""Intake's queries: the only module that reads and writes its tables."""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from sqlalchemy import or_, update
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col, select

from .models import EksternNoekkel, Epost, MailState, Melding


def now() -> datetime:
    return datetime.now(UTC)


# --- Fiks Arkiv messages ---------------------------------------------------------------


async def get_melding(session: AsyncSession, *, avsender: str, klient_melding_id: str) -> Melding | None:
    return await session.scalar(
        select(Melding).where(col(Melding.avsender) == avsender, col(Melding.klient_melding_id) == klient_melding_id)
    )


async def save_melding(
    session: AsyncSession,
    *,
    avsender: str,
    klient_melding_id: str,
    meldingstype: str,
    digest: str,
    svar: list[dict[str, str | None]],
    sent_count: int = 0,
    sent_melding_id: str | None = None,
) -> Melding:
    """Stores the answers once; when another worker stored them first, theirs win (same klientMeldingId)."""
    row = Melding(
        id=uuid4(),
        avsender=avsender,
        klient_melding_id=klient_melding_id,
        meldingstype=meldingstype,
        digest=digest,
        svar=svar,
        sent_count=sent_count,
        sent_melding_id=sent_melding_id,
        created_at=now(),
    )
    try:
        async with session.begin_nested():
            session.add(row)
    except IntegrityError:
        existing = await get_melding(session, avsender=avsender, klient_melding_id=klient_melding_id)
        assert existing is not None
        return existing
    return row


async def mark_sent(session: AsyncSession, melding_id: UUID, count: int, to: str) -> None:
    """One UPDATE (no read first): the count only grows for the same Fiks IO message."""
    await session.execute(
        update(Melding)
        .where(
            col(Melding.id) == melding_id,
            or_(col(Melding.sent_melding_id).is_distinct_from(to), col(Melding.sent_count) < count),
        )
        .values(sent_count=count, sent_melding_id=to)
    )


# --- External keys ---------------------------------------------------------------------


async def get_key(session: AsyncSession, kind: str, fagsystem: str, noekkel: str) -> EksternNoekkel | None:
    return await session.scalar(
        select(EksternNoekkel).where(
            col(EksternNoekkel.kind) == kind,
            col(EksternNoekkel.fagsystem) == fagsystem,
            col(EksternNoekkel.noekkel) == noekkel,
        )
    )


async def key_by_numbers(session: AsyncSession, kind: str, aar: int, sekvensnummer: int) -> EksternNoekkel | None:
    return await session.scalar(
        select(EksternNoekkel)
        .where(
            col(EksternNoekkel.kind) == kind,
            col(EksternNoekkel.aar) == aar,
            col(EksternNoekkel.sekvensnummer) == sekvensnummer,
        )
        .limit(1)
    )


async def keys_of(session: AsyncSession, kind: str, journal_id: UUID) -> list[EksternNoekkel]:
    rows = await session.scalars(
        select(EksternNoekkel)
        .where(col(EksternNoekkel.kind) == kind, col(EksternNoekkel.journal_id) == journal_id)
        .order_by(col(EksternNoekkel.created_at))
    )
    return list(rows)


async def put_key(
    session: AsyncSession,
    *,
    kind: str,
    fagsystem: str,
    noekkel: str,
    journal_id: UUID,
    parent_id: UUID | None = None,
    aar: int | None = None,
    sekvensnummer: int | None = None,
    kvittering: str | None = None,
) -> EksternNoekkel:
    existing = await get_key(session, kind, fagsystem, noekkel)
    if existing is not None:
        return existing
    row = EksternNoekkel(
        id=uuid4(),
        kind=kind,
        fagsystem=fagsystem,
        noekkel=noekkel,
        journal_id=journal_id,
        parent_id=parent_id,
        aar=aar,
        sekvensnummer=sekvensnummer,
        kvittering=kvittering,
        created_at=now(),
    )
    session.add(row)
    await session.flush()
    return row


async def add_key_if_absent(
    session: AsyncSession,
    *,
    kind: str,
    fagsystem: str,
    noekkel: str,
    journal_id: UUID,
    parent_id: UUID | None = None,
    aar: int | None = None,
    sekvensnummer: int | None = None,
    kvittering: str | None = None,
) -> None:
    """One INSERT that keeps the key already stored (a concurrent message with the same key wins):
    written in the transaction that stores a message's answers, with no read first."""
    insert = postgres_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    await session.execute(
        insert(EksternNoekkel)
        .values(
            id=uuid4(),
            kind=kind,
            fagsystem=fagsystem,
            noekkel=noekkel,
            journal_id=journal_id,
            parent_id=parent_id,
            aar=aar,
            sekvensnummer=sekvensnummer,
            kvittering=kvittering,
            created_at=now(),
        )
        .on_conflict_do_nothing(index_elements=["kind", "fagsystem", "noekkel"])
    )


# --- The e-mail queue ------------------------------------------------------------------


async def mail_by_hash(session: AsyncSession, sha256: str) -> Epost | None:
    return await session.scalar(select(Epost).where(col(Epost.sha256) == sha256))


async def mail_by_message_id(session: AsyncSession, message_id: str) -> list[Epost]:
    return list(await session.scalars(select(Epost).where(col(Epost.message_id) == message_id)))


async def add_mail(
    session: AsyncSession, *, sha256: str, message_id: str | None, raw: bytes, folder: str, imap_uid: str | None
) -> Epost:
    row = Epost(
        id=uuid4(),
        sha256=sha256,
        message_id=message_id,
        raw=raw,
        size=len(raw),
        folder=folder,
        imap_uid=imap_uid,
        state=MailState.NEW,
        received_at=now(),
    )
    session.add(row)
    await session.flush()
    return row


async def list_mail(session: AsyncSession, *, state: str | None, limit: int, offset: int) -> list[Epost]:
    query = select(Epost).order_by(col(Epost.received_at), col(Epost.id)).limit(limit).offset(offset)
    if state is not None:
        query = query.where(col(Epost.state) == state)
    return list(await session.scalars(query))


async def get_mail(session: AsyncSession, mail_id: UUID, *, for_update: bool = False) -> Epost | None:
    query = select(Epost).where(col(Epost.id) == mail_id)
    if for_update:
        query = query.with_for_update()
    return await session.scalar(query)
