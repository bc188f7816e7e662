"""Restanser: incoming documents (and N notes) not signed off, with their due date."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..context import Context
from ..models import Journalpost, Saksmappe
from ..store.repository import needs_sign_off


async def restanser(session: AsyncSession, *, ctx: Context, today: date) -> list[tuple[Journalpost, Saksmappe, date]]:
    """Incoming documents (and N notes) not signed off, past due first."""
    query = (select(Journalpost, Saksmappe).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
             .where(*needs_sign_off()))
    rows = []
    for journalpost, saksmappe in (await session.execute(query)).all():
        due = journalpost.forfallsdato or journalpost.journaldato + timedelta(days=ctx.settings.restanse_default_days)
        rows.append((journalpost, saksmappe, due))
    rows.sort(key=lambda r: (r[2], r[0].journalaar, r[0].journalsekvensnummer))
    return rows
