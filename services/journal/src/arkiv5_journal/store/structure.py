"""Reading the archive structure (arkiv, arkivdel, klassifikasjonssystem, klasse) a page at a time.

The rows are the ones the structure use cases create (`arkivstruktur/structure.py`) and the
extraction exports; nothing here writes.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..errors import NotFound
from ..models import Arkiv, Arkivdel, Klasse, Klassifikasjonssystem

Row = TypeVar("Row", Arkiv, Arkivdel, Klassifikasjonssystem, Klasse)


async def get(session: AsyncSession, kind: type[Row], system_id: UUID) -> Row:
    row = await session.get(kind, system_id)
    if row is None:
        raise NotFound(f"No {kind.__tablename__} has this systemID.")
    return row


async def rows(session: AsyncSession, kind: type[Row], *, skip: int, top: int, **where: UUID) -> list[Row]:
    """The rows of `kind` whose columns equal `where` (e.g. arkiv_id=…), oldest first, then by systemID
    (a stable order, so `$skip` pages neither repeat nor miss a row)."""
    order: list[Any] = [col(Klasse.klasse_id)] if kind is Klasse else [col(kind.opprettet_dato)]
    query = select(kind).where(*(getattr(kind, name) == value for name, value in where.items()))
    query = query.order_by(*order, col(kind.system_id)).offset(skip).limit(top)
    return list((await session.execute(query)).scalars())


async def arkivdel_of_system(session: AsyncSession, klassifikasjonssystem_id: UUID) -> Arkivdel | None:
    """The (first) arkivdel classified by the klassifikasjonssystem: where a case under its klasse goes."""
    query = (select(Arkivdel).where(col(Arkivdel.klassifikasjonssystem_id) == klassifikasjonssystem_id)
             .order_by(col(Arkivdel.opprettet_dato), col(Arkivdel.system_id)).limit(1))
    return (await session.execute(query)).scalar_one_or_none()
