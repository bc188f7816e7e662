"""Korrespondansepart lookups."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..errors import NotFound
from ..models import Korrespondansepart


async def journalpost_of_korrespondansepart(session: AsyncSession, korrespondansepart_id: UUID) -> UUID:
    """The journalpost a korrespondansepart belongs to (its rights and screening are the journalpost's)."""
    journalpost_id: UUID | None = (await session.execute(select(col(Korrespondansepart.journalpost_id)).where(
        col(Korrespondansepart.system_id) == korrespondansepart_id))).scalar_one_or_none()
    if journalpost_id is None:
        raise NotFound("No korrespondansepart has this systemID.")
    return journalpost_id
