"""The sporingslogg loses no screened read and keeps none twice across a Kafka broker restart.

A stand-in journal writes ScreenedReadsLogged events into its outbox, as the journal does after
each request that read screened content, and its relay publishes them to a real broker; the
access service consumes them into its sporingslogg on PostgreSQL. Mid-run the broker is stopped
and started again. The test starts its own broker (own state dir and ports), so stopping it
disturbs nobody else's tests.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from required import missing
from sqlalchemy import func, select
from sqlmodel import col

from arkiv5_access.app import create_app
from arkiv5_access.models import AuditEntry
from arkiv5_access.settings import AccessSettings
from arkiv5_contracts.events.audit import ScreenedRead, ScreenedReadsLogged
from arkiv5_kit.db import Database
from arkiv5_kit.outbox import Outbox
from arkiv5_kit.relay import OutboxRelay
from arkiv5_kit.sessions import read_session
from arkiv5_kit.testing import create_messaging_schema
from arkiv5_kit.transport.kafka import KafkaTransport
from processes import free_port
from project import load_script

EVENTS = 40
READS_PER_EVENT = 5


@pytest.fixture
def own_kafka_broker(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A broker of this test's own (never the shared one): stopping it disturbs nobody."""
    if not os.environ.get("ARKIV5_TEST_KAFKA_STATE_DIR"):
        missing("Kafka (ARKIV5_TEST_KAFKA_STATE_DIR)")
    ports = free_port(), free_port()
    while ports[0] == ports[1]:
        ports = free_port(), free_port()
    broker = load_script("kafka_broker").KafkaBroker(tmp_path / "kafka", port=ports[0], controller_port=ports[1])
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


def _batch() -> ScreenedReadsLogged:
    case = uuid.uuid4()
    return ScreenedReadsLogged(reads=[ScreenedRead(
        read_id=uuid.uuid4(), occurred_at=datetime.now(UTC), person_id=uuid.uuid4(), object_type="journalpost",
        object_id=uuid.uuid4(), saksmappe_id=case, access_code="KL", outcome="allowed" if n % 2 else "denied",
        rule="policy.test") for n in range(READS_PER_EVENT)])


async def _logged(database: Database) -> int:
    async with read_session(database) as session:
        query = select(func.count()).select_from(AuditEntry).where(col(AuditEntry.action) == "screened.read")
        return int((await session.execute(query)).scalar_one())


async def _wait_for(predicate: Any, timeout_s: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(300)
async def test_screened_reads_reach_the_sporingslogg_once_each_across_a_broker_restart(
    tmp_path: Path, postgres_database: str, own_kafka_broker: Any
) -> None:
    broker = own_kafka_broker
    prefix = f"t{uuid.uuid4().hex[:8]}."
    journal_bus = KafkaTransport(broker.bootstrap, client_id="journal", topic_prefix=prefix, request_timeout_ms=5000)
    access_bus = KafkaTransport(broker.bootstrap, client_id="access", topic_prefix=prefix, request_timeout_ms=5000)
    journal_db = Database(f"sqlite+aiosqlite:///{tmp_path}/journal.sqlite")
    await create_messaging_schema(journal_db)
    relay = OutboxRelay(service="journal", database=journal_db, transport=journal_bus, poll_interval_s=0.05)
    app = create_app(AccessSettings(database_url=postgres_database, consumer_retry_max_s=0.5), bus=access_bus)
    runtime = app.state.runtime
    batches = [_batch() for _ in range(EVENTS)]
    task: asyncio.Task[None] | None = None
    try:
        await journal_bus.start()
        await runtime.start()
        task = asyncio.create_task(relay.run())
        async with journal_db.unit_of_work() as session:
            await Outbox().add_many(session, list(batches[: EVENTS // 2]))

        async def first_half() -> bool:
            return await _logged(runtime.database) >= EVENTS // 2 * READS_PER_EVENT

        await _wait_for(first_half, 60, "the first reads in the sporingslogg")

        await asyncio.to_thread(broker.stop)
        async with journal_db.unit_of_work() as session:
            await Outbox().add_many(session, list(batches[EVENTS // 2:]))
        await asyncio.sleep(2)
        assert await _logged(runtime.database) == EVENTS // 2 * READS_PER_EVENT, "read while the broker was away"
        await asyncio.to_thread(broker.start)

        async def everything() -> bool:
            return await _logged(runtime.database) >= EVENTS * READS_PER_EVENT

        await _wait_for(everything, 120, "every read in the sporingslogg after the restart")
        await asyncio.sleep(3)  # a redelivery would land by now
        assert await _logged(runtime.database) == EVENTS * READS_PER_EVENT
        async with read_session(runtime.database) as session:
            ids = set((await session.execute(select(col(AuditEntry.id)).where(col(AuditEntry.action) == "screened.read"))).scalars())
        assert ids == {read.read_id for batch in batches for read in batch.reads}
    finally:
        relay.stop()
        if not broker.is_running():  # a failure mid-outage: bring it back so everything can stop
            await asyncio.to_thread(broker.start)
        if task is not None:
            _, stuck = await asyncio.wait([task], timeout=15)
            for pending in stuck:
                pending.cancel()
            await asyncio.gather(task, return_exceptions=True)
        await runtime.stop()
        await journal_bus.stop()
        await journal_db.dispose()
