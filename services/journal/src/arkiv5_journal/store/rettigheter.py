"""The access groups of the rights read model, for the Noark 5 admin package's `tilgang`."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..errors import NotFound
from ..models import Tilgangsgruppe


async def known_groups(session: AsyncSession, *, skip: int, top: int) -> list[Tilgangsgruppe]:
    """A page of the access groups the journal knows from the access service, in group id order."""
    query = select(Tilgangsgruppe).order_by(col(Tilgangsgruppe.group_id)).offset(skip).limit(top)
    return list((await session.execute(query)).scalars())


async def known_group(session: AsyncSession, group_id: UUID) -> Tilgangsgruppe:
    group = await session.get(Tilgangsgruppe, group_id)
    if group is None:
        raise NotFound("No tilgang has this systemID.")
    return group
