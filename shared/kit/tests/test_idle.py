"""Idle polls: a loop that keeps finding nothing looks less often, and work makes it prompt again."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

from sqlalchemy import func, select

from arkiv5_contracts.codelists import Saksstatus
from arkiv5_contracts.events.journal import SaksmappeOpened
from arkiv5_kit.db import Database
from arkiv5_kit.idle import IdleBackoff
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.outbox import Outbox
from arkiv5_kit.relay import OutboxRelay
from arkiv5_kit.testing import RecordingTransport, create_messaging_schema


async def unpublished(database: Database) -> int:
    async with database.engine.connect() as connection:
        query = select(func.count()).select_from(outbox_table).where(outbox_table.c.published_at.is_(None))
        return int(await connection.scalar(query) or 0)


def test_backoff_doubles_up_to_the_cap_and_starts_over_after_work() -> None:
    idle = IdleBackoff(0.25, 5.0)
    assert [idle.next_s() for _ in range(7)] == [0.25, 0.5, 1.0, 2.0, 4.0, 5.0, 5.0]
    idle.reset()
    assert idle.next_s() == 0.25


async def test_idle_relay_polls_less_often_and_still_publishes(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/p.sqlite")
    await create_messaging_schema(database)
    relay = OutboxRelay(service="t", database=database, transport=RecordingTransport(),
                        poll_interval_s=0.01, idle_poll_max_s=0.16)
    polls = 0
    publish_batch = relay.publish_batch

    async def counted() -> int:
        nonlocal polls
        polls += 1
        return await publish_batch()

    relay.publish_batch = counted  # type: ignore[method-assign]
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(1.0)
        # A fixed 0.01 s poll would look ~100 times in a second; doubling to 0.16 s, about a dozen.
        assert 3 <= polls <= 15, polls
        async with database.unit_of_work() as session:
            await Outbox().add(session, SaksmappeOpened(saksmappe_id=uuid.uuid4(), saksaar=2026, sakssekvensnummer=1,
                                                        saksstatus=Saksstatus.B))
        for _ in range(50):
            if await unpublished(database) == 0:
                break
            await asyncio.sleep(0.01)
        assert await unpublished(database) == 0
    finally:
        relay.stop()
        await task
        await database.dispose()
