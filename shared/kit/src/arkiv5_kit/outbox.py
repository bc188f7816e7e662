"""The transactional outbox: an event is written in the same transaction as the change.

`Outbox.add(session, SomethingHappened(...))` inserts the CloudEvents envelope into the
service's `outbox` table; the relay publishes it after the commit. A rolled-back
transaction therefore publishes nothing, and a committed one is never lost.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.cloudevents import to_binary
from arkiv5_contracts.envelope import Envelope, EventData

from .context import current_causation_id, current_correlation_id
from .db import OUTBOX_DIRTY
from .messaging import outbox_table


def envelope_for(data: EventData, *, causationid: UUID | None = None) -> Envelope[Any]:
    return Envelope.wrap(
        data,
        correlationid=current_correlation_id(),
        causationid=causationid or current_causation_id(),
    )


def outbox_row(envelope: Envelope[Any], now: datetime | None = None) -> dict[str, Any]:
    message = to_binary(envelope)
    return {
        "event_id": envelope.id,
        "topic": envelope.topic,
        "message_key": envelope.subject,
        "event_type": envelope.type,
        "headers": [[name, value.decode()] for name, value in message.headers],
        "payload": message.value.decode(),
        "created_at": now or datetime.now(UTC),
    }


class Outbox:
    """Writes events into the current transaction's outbox."""

    async def add(self, session: AsyncSession, data: EventData, *, causationid: UUID | None = None) -> Envelope[Any]:
        envelope = envelope_for(data, causationid=causationid)
        await session.execute(insert(outbox_table).values(**outbox_row(envelope)))
        session.info[OUTBOX_DIRTY] = True
        return envelope

    def rows(self, session: AsyncSession, events: list[EventData]) -> list[dict[str, Any]]:
        """Outbox rows for a caller that inserts them with its own statement in this transaction.

        For a write that puts its events in the same statement as the change (the journal's
        registration on PostgreSQL); the session is marked so the relay is woken after the commit.
        """
        now = datetime.now(UTC)
        session.info[OUTBOX_DIRTY] = True
        return [outbox_row(envelope_for(data), now) for data in events]

    async def add_many(self, session: AsyncSession, events: list[EventData]) -> list[Envelope[Any]]:
        envelopes = [envelope_for(data) for data in events]
        if envelopes:
            now = datetime.now(UTC)
            await session.execute(insert(outbox_table), [outbox_row(e, now) for e in envelopes])
            session.info[OUTBOX_DIRTY] = True
        return envelopes
