"""The SvarUt gateway's receipts (consumed events): accepted, delivered, refused, per recipient."""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalstatus

from ..context import Context
from ..domain.sending import EXTERNAL_RECIPIENTS
from ..journalpost.status import set_status
from ..models import Journalpost, Korrespondansepart
from ..store import changelog


async def on_dispatch_accepted(session: AsyncSession, *, ctx: Context, journalpost_id: UUID, recipient_id: UUID,
                               accepted_on: date) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    journalpost = await session.get(Journalpost, journalpost_id)
    if part is None or journalpost is None or part.journalpost_id != journalpost_id:
        return  # not ours (or a test message): nothing to record
    if part.forsendelse_status not in ("delivered",):
        part.forsendelse_status = "accepted"
    await session.flush()
    parts = (await session.execute(select(Korrespondansepart).where(
        col(Korrespondansepart.journalpost_id) == journalpost_id,
        col(Korrespondansepart.korrespondanseparttype).in_(EXTERNAL_RECIPIENTS)))).scalars()
    if all(p.forsendelse_status in ("accepted", "delivered") for p in parts) and journalpost.journalstatus in (
        Journalstatus.F.kode, Journalstatus.G.kode
    ):
        journalpost.sendt_dato = accepted_on
        await set_status(session, ctx=ctx, journalpost=journalpost, to=Journalstatus.E, who="svarut-gateway")
        await session.flush()


async def on_dispatch_failed(session: AsyncSession, *, journalpost_id: UUID, recipient_id: UUID, code: str,
                             reason: str) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    journalpost = await session.get(Journalpost, journalpost_id)
    if part is None or journalpost is None or part.journalpost_id != journalpost_id:
        return
    part.forsendelse_status = "rejected"
    part.forsendelse_feilkode = code[:100]
    part.forsendelse_feil = reason[:500]
    journalpost.har_forsendelsesfeil = True
    await changelog.changed(session, journalpost, "journalpost", who="svarut-gateway",
                      changes={"forsendelse": (None, f"rejected: {code}")})
    await session.flush()


async def on_dispatch_status(session: AsyncSession, *, journalpost_id: UUID, recipient_id: UUID, status: str,
                             is_terminal: bool) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    if part is None or part.journalpost_id != journalpost_id:
        return
    if status.upper().startswith("IKKE_LEVERT"):
        await on_dispatch_failed(session, journalpost_id=journalpost_id, recipient_id=recipient_id,
                                 code=status[:100], reason="SvarUt could not deliver the letter.")
    elif is_terminal:
        part.forsendelse_status = "delivered"
        await session.flush()
