"""Batch mode of the idempotent consumer: one transaction per fetched batch, with the same
inbox idempotency, retries and dead letters as one event at a time. On SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy import Column, MetaData, String, Table, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.cloudevents import to_binary
from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.access import AccountDisabled
from arkiv5_contracts.events.journal import JournalpostStatusChanged
from arkiv5_contracts.topics import JOURNAL_JOURNALPOST, dead_letter_topic
from arkiv5_kit.consumer import EventConsumer
from arkiv5_kit.db import Database
from arkiv5_kit.dml import insert_ignore
from arkiv5_kit.testing import RecordingTransport, create_messaging_schema
from arkiv5_kit.transport.base import OutgoingMessage

effects_metadata = MetaData()
effects = Table("effects", effects_metadata, Column("event_id", Uuid, primary_key=True), Column("kind", String(20)))


def status_changed() -> Envelope[Any]:
    return Envelope.wrap(JournalpostStatusChanged(
        journalpost_id=uuid.uuid4(), saksmappe_id=uuid.uuid4(), journalposttype=Journalposttype.U,
        from_status=Journalstatus.F, to_status=Journalstatus.J, journaldato=date(2026, 11, 21),
    ))


def message(envelope: Envelope[Any]) -> OutgoingMessage:
    binary = to_binary(envelope)
    return OutgoingMessage(envelope.topic, binary.key, binary.value, list(binary.headers))


async def _effects(database: Database) -> list[uuid.UUID]:
    async with database.unit_of_work() as session:
        return list((await session.execute(select(effects.c.event_id))).scalars())


async def _setup(url: str) -> Database:
    database = Database(url)
    await create_messaging_schema(database)
    async with database.engine.begin() as connection:
        await connection.run_sync(effects_metadata.create_all)
    return database


def consumer_for(database: Database, transport: RecordingTransport, calls: list[int], *,
                 poison: set[uuid.UUID] = frozenset()) -> EventConsumer:  # type: ignore[assignment]
    async def handle(session: AsyncSession, envelopes: Sequence[Envelope[Any]]) -> None:
        calls.append(len(envelopes))
        for envelope in envelopes:
            if envelope.id in poison:
                raise ValueError("this event cannot be handled")
        await session.execute(effects.insert(), [{"event_id": e.id, "kind": "batch"} for e in envelopes])

    return EventConsumer(
        service=f"batch-{uuid.uuid4().hex[:8]}", name="effects", database=database, transport=transport,
        batch_handlers={JournalpostStatusChanged: handle}, max_attempts=2, retry_initial_s=0.0, retry_max_s=0.0,
    )


async def test_a_batch_has_its_effects_in_one_call_and_a_redelivered_event_has_none(db_backend: Any) -> None:
    database = await _setup(db_backend.url)
    try:
        transport = RecordingTransport()
        events = [status_changed() for _ in range(5)]
        # The third event arrives twice within the batch (a producer retry).
        await transport.publish([message(e) for e in events] + [message(events[2])])
        calls: list[int] = []
        consumer = consumer_for(database, transport, calls)
        records = await consumer.subscriber.fetch(100, 0.1)
        outcomes = await consumer.process_batch(records)

        assert calls == [5], "the batch was not handed to the handler at once, each event once"
        assert outcomes == ["processed"] * 5 + ["duplicate"]
        assert sorted(await _effects(database)) == sorted(e.id for e in events)

        # The same records again (a rebalance before the offset commit): no effect twice.
        assert await consumer.process_batch(records) == ["duplicate"] * 6
        assert calls == [5]
        assert len(await _effects(database)) == 5
    finally:
        await database.dispose()


async def test_a_poison_event_in_a_batch_is_dead_lettered_alone(db_backend: Any) -> None:
    database = await _setup(db_backend.url)
    try:
        transport = RecordingTransport()
        events = [status_changed() for _ in range(4)]
        malformed = OutgoingMessage(JOURNAL_JOURNALPOST, b"k", b"{not json", [("ce_type", b"x")])
        await transport.publish([message(e) for e in events[:2]] + [malformed] + [message(e) for e in events[2:]])
        calls: list[int] = []
        consumer = consumer_for(database, transport, calls, poison={events[1].id})
        records = await consumer.subscriber.fetch(100, 0.1)
        outcomes = await consumer.process_batch(records)

        assert outcomes == ["processed", "dead_lettered", "dead_lettered", "processed", "processed"]
        assert sorted(await _effects(database)) == sorted([events[0].id, events[2].id, events[3].id])
        dead = [dict(m.headers) for m in transport.messages if m.topic == dead_letter_topic(JOURNAL_JOURNALPOST)]
        assert [(d.get("ce_id"), d["dlt_error_type"]) for d in dead] == [
            (str(events[1].id).encode(), b"ValueError"), (None, b"MalformedEvent"),
        ]
        # One event at a time after the batch failed: the poison one was retried (max_attempts=2).
        assert calls.count(1) == 4 + 1
    finally:
        await database.dispose()


async def test_batch_and_single_handlers_mix_in_order_and_unknown_types_are_ignored(db_backend: Any) -> None:
    database = await _setup(db_backend.url)
    try:
        transport = RecordingTransport()
        seen: list[str] = []

        async def batch(session: AsyncSession, envelopes: Sequence[Envelope[Any]]) -> None:
            seen.append(f"batch:{len(envelopes)}")
            await session.execute(insert_ignore(effects, [{"event_id": e.id, "kind": "b"} for e in envelopes]))

        async def single(session: AsyncSession, envelope: Envelope[Any]) -> None:
            seen.append("single")
            await session.execute(insert_ignore(effects, {"event_id": envelope.id, "kind": "s"}))

        consumer = EventConsumer(
            service=f"mix-{uuid.uuid4().hex[:8]}", name="mix", database=database, transport=transport,
            handlers={AccountDisabled: single}, batch_handlers={JournalpostStatusChanged: batch},
        )
        a, b, c = status_changed(), status_changed(), status_changed()
        disabled = Envelope.wrap(AccountDisabled(person_id=uuid.uuid4(), account_id=uuid.uuid4(), disabled_from=date(2026, 12, 1)))
        await transport.publish([message(a), message(b), message(disabled), message(c)])
        records = []
        while len(records) < 4:
            records += await consumer.subscriber.fetch(100, 0.1)
        outcomes = await consumer.process_batch(records)
        assert outcomes == ["processed"] * 4
        assert seen == ["batch:2", "single", "batch:1"]
        async with database.unit_of_work() as session:
            assert await session.scalar(select(func.count()).select_from(effects)) == 4
    finally:
        await database.dispose()


async def test_the_run_loop_uses_the_batch_path_and_commits_offsets(tmp_path: Any) -> None:
    import asyncio

    database = await _setup(f"sqlite+aiosqlite:///{tmp_path}/run.sqlite")
    try:
        transport = RecordingTransport()
        calls: list[int] = []
        consumer = consumer_for(database, transport, calls)
        events = [status_changed() for _ in range(7)]
        await transport.publish([message(e) for e in events])
        task = asyncio.create_task(consumer.run())
        from arkiv5_kit.testing import eventually

        await eventually(lambda: consumer.subscriber.committed == 7, what="offsets committed")  # type: ignore[attr-defined]
        consumer.stop()
        await asyncio.wait_for(task, 10)
        assert calls == [7]
        assert len(await _effects(database)) == 7
    finally:
        await database.dispose()
