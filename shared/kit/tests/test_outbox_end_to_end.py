"""Outbox → bus → idempotent consumer, end to end, on the embedded transport and on
PostgreSQL with the real Kafka broker.

2,000 events are written in 200 transactions while the relay and the consumer run.
Mid-run the consumer is killed (its task cancelled mid-batch, nothing committed) and a new
one takes over; on Kafka the broker is also stopped and started again. Every event must
have exactly one effect, and a transaction that rolled back must publish nothing.

The volume only has to leave the consumer busy when it is killed (asserted below); the
consumer handles each event in its own transaction, a few milliseconds each on 2 cores, so
10,000 events took ~160 s per test and proved nothing more. ARKIV5_E2E_TRANSACTIONS=1000
runs the same proof at the old volume.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, Uuid, func, insert, select

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.journal import JournalpostRegistered
from arkiv5_kit.consumer import EventConsumer
from arkiv5_kit.db import Database
from arkiv5_kit.outbox import Outbox
from arkiv5_kit.relay import OutboxRelay
from arkiv5_kit.testing import create_messaging_schema
from arkiv5_kit.transport.base import Transport
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_kit.transport.kafka import KafkaTransport

TRANSACTIONS = int(__import__("os").environ.get("ARKIV5_E2E_TRANSACTIONS", "200"))
EVENTS_PER_TRANSACTION = 10

effects_metadata = MetaData()
# Deliberately no unique constraint: a second effect of one event must be visible.
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
    Column("journalpost_id", Uuid, nullable=False),
    Column("consumer", String(100), nullable=False),
)


def registered(run_id: uuid.UUID, n: int) -> JournalpostRegistered:
    return JournalpostRegistered(
        journalpost_id=uuid.uuid4(),
        saksmappe_id=run_id,  # marks this run's events (a shared broker holds older runs too)
        journalaar=2026,
        journalsekvensnummer=n + 1,
        journalpostnummer=1,
        journalposttype=Journalposttype.I,
        journalstatus=Journalstatus.J,
        journaldato=date(2026, 11, 21),
    )


class Scenario:
    def __init__(self, producer: Database, consumer_db: Database, transport: Transport, run_id: uuid.UUID) -> None:
        self.producer = producer
        self.consumer_db = consumer_db
        self.transport = transport
        self.run_id = run_id
        self.outbox = Outbox()
        self.written: set[uuid.UUID] = set()
        self.rolled_back: set[uuid.UUID] = set()
        self.relay = OutboxRelay(service="producer", database=producer, transport=transport, batch_size=500,
                                 poll_interval_s=0.05, max_backoff_s=1.0)

    async def handler(self, session: Any, envelope: Envelope[JournalpostRegistered]) -> None:
        if envelope.data.saksmappe_id != self.run_id:
            return
        await session.execute(
            insert(effects).values(event_id=envelope.id, journalpost_id=envelope.data.journalpost_id,
                                   consumer="c")
        )

    def new_consumer(self) -> EventConsumer:
        return EventConsumer(
            service=f"test-{self.run_id.hex[:8]}",
            name="effects",
            database=self.consumer_db,
            transport=self.transport,
            handlers={JournalpostRegistered: self.handler},
            batch_size=200,
            retry_initial_s=0.01,
            retry_max_s=0.5,
            fetch_timeout_s=0.2,
        )

    async def write(self, first_transaction: int, end_transaction: int) -> None:
        for t in range(first_transaction, end_transaction):
            async with self.producer.unit_of_work() as session:
                envelopes = await self.outbox.add_many(
                    session,
                    [registered(self.run_id, t * EVENTS_PER_TRANSACTION + i) for i in range(EVENTS_PER_TRANSACTION)],
                )
            self.written.update(e.id for e in envelopes)
            if t == TRANSACTIONS // 2:
                await self.write_rolled_back()
            if t % 50 == 0:
                await asyncio.sleep(0)  # let the relay and consumer interleave with the writes

    async def write_rolled_back(self) -> None:
        with pytest.raises(RuntimeError):
            async with self.producer.unit_of_work() as session:
                envelopes = await self.outbox.add_many(session, [registered(self.run_id, 999_999) for _ in range(5)])
                self.rolled_back.update(e.id for e in envelopes)
                raise RuntimeError("the change failed after the events were added")

    async def effect_count(self) -> int:
        async with self.consumer_db.engine.connect() as connection:
            return int(await connection.scalar(select(func.count()).select_from(effects)) or 0)

    async def wait_for_effects(self, at_least: int, timeout_s: float) -> int:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while (count := await self.effect_count()) < at_least:
            if asyncio.get_running_loop().time() > deadline:
                return count
            await asyncio.sleep(0.02)
        return count


async def run_scenario(
    scenario: Scenario,
    *,
    outage: tuple[Callable[[], Awaitable[None]], Callable[[], Awaitable[None]]] | None = None,
    timeout_s: float = 240,
) -> None:
    """Write half; kill the consumer mid-batch; (stop the broker;) write the rest; (start it)."""
    total = TRANSACTIONS * EVENTS_PER_TRANSACTION
    half = TRANSACTIONS // 2
    relay_task = asyncio.create_task(scenario.relay.run())
    consumer = scenario.new_consumer()
    consumer_task = asyncio.create_task(consumer.run())
    try:
        await scenario.write(0, half)
        # Kill the consumer while it is busy: no graceful stop, no offset commit.
        assert await scenario.wait_for_effects(total * 3 // 10, timeout_s) >= total * 3 // 10
        consumer_task.cancel()
        await asyncio.gather(consumer_task, return_exceptions=True)
        # Only a kill while events still wait for their effect proves the takeover.
        at_kill = await scenario.effect_count()
        assert at_kill < len(scenario.written), "the consumer had caught up: the kill proved nothing"
        consumer = scenario.new_consumer()
        consumer_task = asyncio.create_task(consumer.run())
        if outage is not None:
            await outage[0]()  # the relay and the consumer now fail and retry
        await scenario.write(half, TRANSACTIONS)
        if outage is not None:
            await asyncio.sleep(2)
            await outage[1]()
        count = await scenario.wait_for_effects(total, timeout_s)
        assert count >= total, f"only {count} of {total} events had their effect"
        await asyncio.sleep(1.0)  # give a duplicate the chance to show up
    finally:
        consumer.stop()
        scenario.relay.stop()
        await asyncio.gather(consumer_task, relay_task, return_exceptions=True)

    async with scenario.consumer_db.engine.connect() as connection:
        rows = (await connection.execute(select(effects.c.event_id))).scalars().all()
    assert len(rows) == total, f"{len(rows) - total} duplicate effect(s)"
    assert set(rows) == scenario.written
    assert not scenario.rolled_back & set(rows)
    assert len(scenario.rolled_back) == 5
    async with scenario.producer.engine.connect() as connection:
        from arkiv5_kit.messaging import outbox_table

        in_outbox = set((await connection.execute(select(outbox_table.c.event_id))).scalars().all())
    assert not scenario.rolled_back & in_outbox, "a rolled-back transaction left events in the outbox"


async def unpublished(database: Database) -> int:
    from arkiv5_kit.messaging import outbox_table

    async with database.engine.connect() as connection:
        query = select(func.count()).select_from(outbox_table).where(outbox_table.c.published_at.is_(None))
        return int(await connection.scalar(query) or 0)


async def prepare(producer_url: str, consumer_url: str) -> tuple[Database, Database]:
    producer, consumer_db = Database(producer_url), Database(consumer_url)
    await create_messaging_schema(producer)
    await create_messaging_schema(consumer_db)
    async with consumer_db.engine.begin() as connection:
        await connection.run_sync(effects_metadata.create_all)
    return producer, consumer_db


async def test_embedded_transport_exactly_one_effect(tmp_path: Path) -> None:
    producer, consumer_db = await prepare(
        f"sqlite+aiosqlite:///{tmp_path}/producer.sqlite", f"sqlite+aiosqlite:///{tmp_path}/consumer.sqlite"
    )
    transport = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
    await transport.start()
    try:
        await run_scenario(Scenario(producer, consumer_db, transport, uuid.uuid4()))
    finally:
        await transport.stop()
        await producer.dispose()
        await consumer_db.dispose()


@pytest.fixture
async def second_postgres_database(postgres_url: str):  # type: ignore[no-untyped-def]
    """A second fresh database (the consumer's own), like a second service has."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    name = f"t_{uuid.uuid4().hex[:16]}"
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    yield base.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


@pytest.mark.postgres
@pytest.mark.kafka
async def test_postgres_and_kafka_exactly_one_effect_across_consumer_kill_and_broker_restart(
    postgres_database: str, second_postgres_database: str, private_kafka_broker: Any
) -> None:
    kafka_broker = private_kafka_broker  # stopped mid-run: the shared broker must not be
    producer, consumer_db = await prepare(postgres_database, second_postgres_database)
    run_id = uuid.uuid4()
    transport = KafkaTransport(kafka_broker.bootstrap, topic_prefix=f"t{run_id.hex[:8]}.", request_timeout_ms=5000)
    await transport.start()

    held_back: list[int] = []

    async def stop_broker() -> None:
        await asyncio.to_thread(kafka_broker.stop)

    async def start_broker() -> None:
        held_back.append(await unpublished(producer))
        await asyncio.to_thread(kafka_broker.start)

    try:
        await run_scenario(Scenario(producer, consumer_db, transport, run_id), outage=(stop_broker, start_broker))
        # Events written during the outage waited in the outbox, and still arrived once each.
        assert held_back and held_back[0] > 0, "nothing waited for the broker: the outage proved nothing"
    finally:
        await transport.stop()
        await producer.dispose()
        await consumer_db.dispose()
