"""A stop wakes an idle consumer and relay at once, and loses or repeats nothing.

The consumer and the relay here wait a minute per idle fetch and poll, so a stop that
waited either out would take a minute; the deadline allowed is 15 s, generous enough for
a loaded machine and still far below what waiting would cost. Events written while the
consumer is stopped, and while it is stopped and started mid-stream, have one effect each.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, Uuid, insert, select

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

IDLE_WAIT_S = 60.0  # each idle fetch and poll: what a stop must not wait out
STOP_DEADLINE_S = 15.0

effects_metadata = MetaData()
effects = Table(  # no unique constraint: a second effect of one event must be visible
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", Uuid, nullable=False),
)


class Pipeline:
    """A producer's outbox and relay, and one consumer group over the bus, on their own databases."""

    def __init__(self, producer: Database, consumer_db: Database, transport: Transport, run_id: uuid.UUID) -> None:
        self.producer = producer
        self.consumer_db = consumer_db
        self.transport = transport
        self.run_id = run_id
        self.outbox = Outbox()
        self.written: list[uuid.UUID] = []

    async def handler(self, session: Any, envelope: Envelope[JournalpostRegistered]) -> None:
        if envelope.data.saksmappe_id == self.run_id:  # a shared broker holds other runs' events too
            await session.execute(insert(effects).values(event_id=envelope.id))

    def relay(self) -> OutboxRelay:
        return OutboxRelay(service="producer", database=self.producer, transport=self.transport,
                           poll_interval_s=IDLE_WAIT_S)

    def consumer(self) -> EventConsumer:
        return EventConsumer(
            service=f"stop-{self.run_id.hex[:8]}", name="effects", database=self.consumer_db,
            transport=self.transport, handlers={JournalpostRegistered: self.handler},
            batch_size=20, fetch_timeout_s=IDLE_WAIT_S,
        )

    async def write(self, count: int) -> None:
        for _ in range(count):
            async with self.producer.unit_of_work() as session:
                envelope = await self.outbox.add(session, JournalpostRegistered(
                    journalpost_id=uuid.uuid4(), saksmappe_id=self.run_id, journalaar=2026,
                    journalsekvensnummer=len(self.written) + 1, journalpostnummer=1,
                    journalposttype=Journalposttype.I, journalstatus=Journalstatus.J,
                    journaldato=date(2026, 12, 5),
                ))
            self.written.append(envelope.id)

    async def effects(self) -> list[uuid.UUID]:
        async with self.consumer_db.engine.connect() as connection:
            return list((await connection.execute(select(effects.c.event_id))).scalars())

    async def wait_for_effects(self, count: int, timeout_s: float = 120) -> None:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while len(await self.effects()) < count:
            assert asyncio.get_running_loop().time() < deadline, f"fewer than {count} effects in {timeout_s} s"
            await asyncio.sleep(0.05)


async def stop_promptly(consumer: EventConsumer, consumer_task: asyncio.Task[None],
                        relay: OutboxRelay, relay_task: asyncio.Task[None]) -> None:
    consumer.stop()
    relay.stop()
    done, _ = await asyncio.wait((consumer_task, relay_task), timeout=STOP_DEADLINE_S)
    assert consumer_task in done, "the consumer waited out its fetch instead of stopping"
    assert relay_task in done, "the relay waited out its poll instead of stopping"
    for task in done:
        task.result()  # a clean end, not an error


async def prove_prompt_and_lossless_stop(pipeline: Pipeline) -> None:
    relay, consumer = pipeline.relay(), pipeline.consumer()
    relay_task, consumer_task = asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())
    await pipeline.write(5)
    await pipeline.wait_for_effects(5)
    await asyncio.sleep(0.5)  # both idle now: the consumer in its fetch, the relay in its poll
    await stop_promptly(consumer, consumer_task, relay, relay_task)

    # Stopped and started again, mid-stream: every event still has its one effect.
    for _ in range(3):
        relay, consumer = pipeline.relay(), pipeline.consumer()
        relay_task, consumer_task = asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())
        await pipeline.write(30)
        await stop_promptly(consumer, consumer_task, relay, relay_task)
    relay, consumer = pipeline.relay(), pipeline.consumer()
    relay_task, consumer_task = asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())
    try:
        await pipeline.wait_for_effects(len(pipeline.written))
        await asyncio.sleep(0.5)  # give a duplicate the chance to show up
    finally:
        await stop_promptly(consumer, consumer_task, relay, relay_task)
    seen = await pipeline.effects()
    assert sorted(seen) == sorted(pipeline.written), "an event was lost or had two effects"


async def _databases(producer_url: str, consumer_url: str) -> AsyncIterator[tuple[Database, Database]]:
    producer, consumer_db = Database(producer_url), Database(consumer_url)
    try:
        await create_messaging_schema(producer)
        await create_messaging_schema(consumer_db)
        async with consumer_db.engine.begin() as connection:
            await connection.run_sync(effects_metadata.create_all)
        yield producer, consumer_db
    finally:
        await producer.dispose()
        await consumer_db.dispose()


async def test_embedded_bus_consumer_and_relay_stop_at_once_and_lose_nothing(tmp_path: Path) -> None:
    transport = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
    await transport.start()
    try:
        async for producer, consumer_db in _databases(f"sqlite+aiosqlite:///{tmp_path}/producer.sqlite",
                                                       f"sqlite+aiosqlite:///{tmp_path}/consumer.sqlite"):
            await prove_prompt_and_lossless_stop(Pipeline(producer, consumer_db, transport, uuid.uuid4()))
    finally:
        await transport.stop()


@pytest.mark.kafka
async def test_kafka_consumer_and_relay_stop_at_once_and_lose_nothing(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    run_id = uuid.uuid4()
    transport = KafkaTransport(kafka_bootstrap, topic_prefix=f"t{run_id.hex[:8]}.", request_timeout_ms=5000)
    await transport.start()
    try:
        async for producer, consumer_db in _databases(f"sqlite+aiosqlite:///{tmp_path}/producer.sqlite",
                                                       f"sqlite+aiosqlite:///{tmp_path}/consumer.sqlite"):
            await prove_prompt_and_lossless_stop(Pipeline(producer, consumer_db, transport, run_id))
    finally:
        await transport.stop()
