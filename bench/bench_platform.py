"""Platform figures: outbox → Kafka relay throughput on PostgreSQL beside the raw aiokafka
producer (the ceiling), and commit-to-consumer latency at a steady 200 events/s.

Every figure is the median of several runs in this same process, so the ratio to the
ceiling compares like with like. Targets (2 cores): relay ≥ 5,000 events/s; latency
p99 < 250 ms.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time
import uuid
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from sqlalchemy import insert

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.journal import JournalpostRegistered
from arkiv5_kit.consumer import EventConsumer
from arkiv5_kit.db import Database
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.outbox import Outbox, envelope_for, outbox_row
from arkiv5_kit.relay import OutboxRelay
from arkiv5_kit.testing import create_messaging_schema
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_kit.transport.kafka import KafkaTransport

POSTGRES = os.environ["ARKIV5_BENCH_POSTGRES_URL"]
KAFKA = os.environ["ARKIV5_BENCH_KAFKA_BOOTSTRAP"]
THROUGHPUT_EVENTS = int(os.environ.get("ARKIV5_BENCH_EVENTS", "50000"))
RUNS = int(os.environ.get("ARKIV5_BENCH_RUNS", "3"))
LATENCY_RATE = 200
LATENCY_SECONDS = int(os.environ.get("ARKIV5_BENCH_LATENCY_SECONDS", "20"))


def event(n: int) -> JournalpostRegistered:
    return JournalpostRegistered(
        journalpost_id=uuid.uuid4(), saksmappe_id=uuid.uuid4(), journalaar=2026, journalsekvensnummer=n + 1,
        journalpostnummer=1, journalposttype=Journalposttype.I, journalstatus=Journalstatus.J,
        journaldato=date(2026, 11, 21), administrativ_enhet_id=uuid.uuid4(),
    )


async def fresh_database(tag: str) -> tuple[Database, str]:
    name = f"bench_{tag}_{uuid.uuid4().hex[:8]}"
    admin_dsn = POSTGRES.replace("postgresql+asyncpg://", "postgresql://")
    admin = await asyncpg.connect(admin_dsn)
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    database = Database(POSTGRES.rsplit("/", 1)[0] + "/" + name)
    await create_messaging_schema(database)
    return database, name


async def drop_database(database: Database, name: str) -> None:
    await database.dispose()
    admin = await asyncpg.connect(POSTGRES.replace("postgresql+asyncpg://", "postgresql://"))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def raw_producer_throughput(topic: str, messages: list[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> float:
    producer = AIOKafkaProducer(bootstrap_servers=KAFKA, enable_idempotence=True, linger_ms=5,
                                max_batch_size=512 * 1024)
    await producer.start()
    try:
        await producer.send_and_wait(topic, b"warm-up")
        started = time.perf_counter()
        futures = [await producer.send(topic, value=v, key=k, headers=h) for k, v, h in messages]
        await asyncio.gather(*futures)
        return len(messages) / (time.perf_counter() - started)
    finally:
        await producer.stop()


async def fill_outbox(database: Database, count: int) -> None:
    rows = [outbox_row(envelope_for(event(n))) for n in range(count)]
    async with database.engine.begin() as connection:
        for start in range(0, count, 5000):
            await connection.execute(insert(outbox_table), rows[start : start + 5000])


async def relay_throughput(transport: KafkaTransport) -> float:
    database, name = await fresh_database("relay")
    try:
        await fill_outbox(database, THROUGHPUT_EVENTS)
        relay = OutboxRelay(service="bench", database=database, transport=transport, batch_size=1000)
        started = time.perf_counter()
        sent = await relay.drain()
        elapsed = time.perf_counter() - started
        assert sent == THROUGHPUT_EVENTS, sent
        return sent / elapsed
    finally:
        await drop_database(database, name)


async def latency(transport: Any, producer: Database, consumer_db: Database) -> list[float]:
    """Commit one event every 5 ms; measure commit → handler entry of the idempotent consumer."""
    committed: dict[uuid.UUID, float] = {}
    received: dict[uuid.UUID, float] = {}

    async def handler(_session: Any, envelope: Envelope[Any]) -> None:
        received.setdefault(envelope.id, time.perf_counter())

    relay = OutboxRelay(service="bench", database=producer, transport=transport, poll_interval_s=0.25)
    consumer = EventConsumer(service=f"bench-{uuid.uuid4().hex[:6]}", name="latency", database=consumer_db,
                             transport=transport, handlers={JournalpostRegistered: handler}, fetch_timeout_s=0.1)
    tasks = [asyncio.create_task(relay.run()), asyncio.create_task(consumer.run())]
    outbox = Outbox()
    try:
        await asyncio.sleep(3)  # consumer joined its group
        interval = 1 / LATENCY_RATE
        next_at = time.perf_counter()
        for n in range(LATENCY_RATE * LATENCY_SECONDS):
            async with producer.unit_of_work() as session:
                envelope = await outbox.add(session, event(n))
            committed[envelope.id] = time.perf_counter()
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        deadline = time.perf_counter() + 30
        while len(received) < len(committed) and time.perf_counter() < deadline:
            await asyncio.sleep(0.05)
    finally:
        consumer.stop()
        relay.stop()
        await asyncio.gather(*tasks, return_exceptions=True)
    assert len(received) == len(committed), f"{len(committed) - len(received)} events never arrived"
    return sorted((received[i] - committed[i]) * 1000 for i in committed)


def percentile(sorted_values: list[float], p: float) -> float:
    return sorted_values[min(len(sorted_values) - 1, int(round(p / 100 * (len(sorted_values) - 1))))]


async def main() -> None:
    prefix = f"bench{uuid.uuid4().hex[:6]}."
    transport = KafkaTransport(KAFKA, topic_prefix=prefix, client_id="arkiv5-bench")
    await transport.start()
    sample = [envelope_for(event(n)) for n in range(THROUGHPUT_EVENTS)]
    from arkiv5_contracts.cloudevents import to_binary

    messages = [(m.key, m.value, m.headers) for m in map(to_binary, sample)]
    raw, relayed = [], []
    for _ in range(RUNS):
        raw.append(await raw_producer_throughput(prefix + "raw", messages))
        relayed.append(await relay_throughput(transport))
    raw_median, relay_median = statistics.median(raw), statistics.median(relayed)

    await transport.stop()
    # Fresh topics: the latency consumer must not first wade through the throughput runs.
    transport = KafkaTransport(KAFKA, topic_prefix=f"bench{uuid.uuid4().hex[:6]}.", client_id="arkiv5-bench")
    await transport.start()
    producer, producer_name = await fresh_database("lat_producer")
    consumer_db, consumer_name = await fresh_database("lat_consumer")
    try:
        kafka_latency = await latency(transport, producer, consumer_db)
    finally:
        await transport.stop()
        await drop_database(producer, producer_name)
        await drop_database(consumer_db, consumer_name)

    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        embedded = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp}/bus.sqlite")
        await embedded.start()
        sqlite_producer = Database(f"sqlite+aiosqlite:///{tmp}/producer.sqlite")
        sqlite_consumer = Database(f"sqlite+aiosqlite:///{tmp}/consumer.sqlite")
        await create_messaging_schema(sqlite_producer)
        await create_messaging_schema(sqlite_consumer)
        embedded_latency = await latency(embedded, sqlite_producer, sqlite_consumer)
        await embedded.stop()
        await sqlite_producer.dispose()
        await sqlite_consumer.dispose()

    print(f"{THROUGHPUT_EVENTS:,} events × {RUNS} runs; latency at {LATENCY_RATE}/s for {LATENCY_SECONDS} s; "
          f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC\n")
    print("| benchmark | median | p50 | p99 | unit | ceiling (raw aiokafka producer) | ratio | target |")
    print("|---|---:|---:|---:|---|---:|---:|---|")
    print(f"| raw aiokafka producer, idempotent | {raw_median:,.0f} | | | events/s | {raw_median:,.0f} | 1.00 | ceiling |")
    print(f"| outbox → Kafka relay (PostgreSQL) | {relay_median:,.0f} | | | events/s | {raw_median:,.0f} | "
          f"{relay_median / raw_median:.2f} | ≥ 5,000 |")
    for label, values in (("PostgreSQL + Kafka", kafka_latency), ("SQLite + embedded bus", embedded_latency)):
        print(f"| commit → consumer latency, {label} | {statistics.median(values):.1f} | "
              f"{percentile(values, 50):.1f} | {percentile(values, 99):.1f} | ms | | | p99 < 250 |")
    print(f"\nruns: raw {[round(x) for x in raw]}, relay {[round(x) for x in relayed]}")


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(0)
