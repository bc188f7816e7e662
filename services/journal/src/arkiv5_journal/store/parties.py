"""Korrespondansepart and sakspart lookups."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..errors import NotFound
from ..models import Korrespondansepart, Part


async def journalpost_of_korrespondansepart(session: AsyncSession, korrespondansepart_id: UUID) -> UUID:
    """The journalpost a korrespondansepart belongs to (its rights and screening are the journalpost's)."""
    journalpost_id: UUID | None = (await session.execute(select(col(Korrespondansepart.journalpost_id)).where(
        col(Korrespondansepart.system_id) == korrespondansepart_id))).scalar_one_or_none()
    if journalpost_id is None:
        raise NotFound("No korrespondansepart has this systemID.")
    return journalpost_id


async def saksmappe_of_part(session: AsyncSession, part_id: UUID) -> UUID:
    """The saksmappe a sakspart belongs to (its rights and screening are the case's)."""
    saksmappe_id: UUID | None = (await session.execute(select(col(Part.saksmappe_id)).where(
        col(Part.system_id) == part_id))).scalar_one_or_none()
    if saksmappe_id is None:
        raise NotFound("No part has this systemID.")
    return saksmappe_id
