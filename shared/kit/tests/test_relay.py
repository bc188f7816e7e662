"""The relay: marks events sent only after the bus acknowledged them, retries a failing bus,
and on PostgreSQL two replicas share the outbox without publishing a row twice."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arkiv5_contracts.codelists import Saksstatus
from arkiv5_contracts.events.journal import SaksmappeOpened
from arkiv5_kit.db import Database
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.outbox import Outbox
from arkiv5_kit.relay import OutboxRelay
from arkiv5_kit.testing import RecordingTransport, create_messaging_schema
from arkiv5_kit.transport.base import OutgoingMessage


def opened(n: int) -> SaksmappeOpened:
    return SaksmappeOpened(saksmappe_id=uuid.uuid4(), saksaar=2026, sakssekvensnummer=n + 1,
                           saksstatus=Saksstatus.B)


async def write(database: Database, count: int, per_transaction: int = 50) -> None:
    outbox = Outbox()
    for start in range(0, count, per_transaction):
        async with database.unit_of_work() as session:
            await outbox.add_many(session, [opened(n) for n in range(start, start + per_transaction)])


async def unpublished(database: Database) -> int:
    async with database.engine.connect() as connection:
        query = select(func.count()).select_from(outbox_table).where(outbox_table.c.published_at.is_(None))
        return int(await connection.scalar(query) or 0)


class SlowTransport(RecordingTransport):
    """Takes a while to acknowledge, so two relays are busy at the same time."""

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        await asyncio.sleep(0.02)
        await super().publish(messages)


async def test_failed_publish_leaves_rows_unpublished_then_retries(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/p.sqlite")
    await create_messaging_schema(database)
    await write(database, 100)
    transport = RecordingTransport()
    transport.fail_next_publishes = 3
    relay = OutboxRelay(service="t", database=database, transport=transport, batch_size=40, max_backoff_s=0.05)
    with pytest.raises(ConnectionError):
        await relay.publish_batch()
    assert await unpublished(database) == 100 and transport.messages == []
    task = asyncio.create_task(relay.run())
    for _ in range(100):
        if await unpublished(database) == 0:
            break
        await asyncio.sleep(0.05)
    relay.stop()
    await task
    assert await unpublished(database) == 0
    ids = [e.id for e in transport.envelopes()]
    assert len(ids) == len(set(ids)) == 100
    await database.dispose()


@pytest.mark.postgres
async def test_two_relays_share_the_outbox_without_duplicates(postgres_database: str) -> None:
    database = Database(postgres_database)
    await create_messaging_schema(database)
    await write(database, 2000)
    transports = [SlowTransport(), SlowTransport()]
    relays = [
        OutboxRelay(service="t", database=Database(postgres_database), transport=t, batch_size=50)
        for t in transports
    ]
    await asyncio.gather(*(relay.drain() for relay in relays))
    published = [e.id for t in transports for e in t.envelopes()]
    assert len(published) == len(set(published)) == 2000, "a row was published twice or lost"
    assert all(len(t.messages) > 0 for t in transports), "SKIP LOCKED should let both replicas work"
    assert await unpublished(database) == 0
    for relay in relays:
        await relay.database.dispose()
    await database.dispose()


async def test_on_sqlite_the_loop_and_a_drain_of_one_relay_publish_each_event_once(tmp_path: Path) -> None:
    """The relay's loop and a drain running at the same time (as at shutdown, or a test's flush)
    never both send a batch."""
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/p.sqlite")
    await create_messaging_schema(database)
    await write(database, 200)
    transport = SlowTransport()
    relay = OutboxRelay(service="t", database=database, transport=transport, batch_size=40, poll_interval_s=0.01)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.gather(relay.drain(), relay.drain())
        assert await unpublished(database) == 0
    finally:
        relay.stop()
        await task
    assert len(transport.messages) == 200
    await database.dispose()
