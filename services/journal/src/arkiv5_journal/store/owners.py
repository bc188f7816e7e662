"""The record a merknad or an avskrivning belongs to (its rights and screening are that record's)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..errors import NotFound
from ..models import Avskrivning, Merknad


async def owner_of_merknad(session: AsyncSession, merknad_id: UUID) -> tuple[UUID | None, UUID | None]:
    """(saksmappe, journalpost) of a merknad: exactly one of them is set."""
    row = (await session.execute(select(col(Merknad.saksmappe_id), col(Merknad.journalpost_id)).where(
        col(Merknad.system_id) == merknad_id))).one_or_none()
    if row is None:
        raise NotFound("No merknad has this systemID.")
    return row[0], row[1]


async def journalpost_of_avskrivning(session: AsyncSession, avskrivning_id: UUID) -> UUID:
    journalpost_id: UUID | None = (await session.execute(select(col(Avskrivning.journalpost_id)).where(
        col(Avskrivning.system_id) == avskrivning_id))).scalar_one_or_none()
    if journalpost_id is None:
        raise NotFound("No avskrivning has this systemID.")
    return journalpost_id
