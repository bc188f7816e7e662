"""The inbox of an idempotent consumer: event ids it has already had its effect for.

The id is recorded in the same transaction as the effect, so a redelivered event is seen
and skipped, and an effect that rolled back is retried.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from sqlalchemy import bindparam, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from .messaging import inbox_table

# Built once: every consumed event runs both, and building a statement cost about as much
# as running it on SQLite.
_SEEN = select(inbox_table.c.event_id).where(
    inbox_table.c.consumer == bindparam("consumer"), inbox_table.c.event_id == bindparam("event_id"))
_RECORD = insert(inbox_table)


async def seen(session: AsyncSession, consumer: str, event_id: UUID) -> bool:
    result = await session.execute(_SEEN, {"consumer": consumer, "event_id": event_id})
    return result.first() is not None


async def record(session: AsyncSession, consumer: str, event_id: UUID, event_type: str) -> None:
    await session.execute(_RECORD, {"consumer": consumer, "event_id": event_id, "event_type": event_type,
                                    "processed_at": datetime.now(UTC)})
