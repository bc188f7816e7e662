"""A poison event lands in the dead-letter topic with its error and origin; the consumer
goes on with the next events. On the embedded transport and on the real Kafka broker."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

from arkiv5_contracts.cloudevents import to_binary
from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.journal import JournalpostStatusChanged
from arkiv5_contracts.topics import JOURNAL_JOURNALPOST
from arkiv5_kit.consumer import EventConsumer
from arkiv5_kit.db import Database
from arkiv5_kit.testing import create_messaging_schema
from arkiv5_kit.transport.base import OutgoingMessage, Transport
from arkiv5_kit.transport.embedded import EmbeddedTransport
from arkiv5_kit.transport.kafka import KafkaTransport

POISON_REASON = "journalpost is in a state this handler cannot reach"


def status_changed(journalpost_id: uuid.UUID) -> Envelope[Any]:
    return Envelope.wrap(
        JournalpostStatusChanged(
            journalpost_id=journalpost_id,
            saksmappe_id=uuid.uuid4(),
            journalposttype=Journalposttype.U,
            from_status=Journalstatus.F,
            to_status=Journalstatus.J,
            journaldato=date(2026, 11, 21),
        )
    )


async def run_poison_scenario(transport: Transport, database: Database) -> tuple[list[uuid.UUID], Envelope[Any]]:
    """Publish good, poison, malformed, good; return the handled ids and the poison envelope."""
    handled: list[uuid.UUID] = []
    poison = status_changed(uuid.uuid4())
    attempts = 0

    async def handler(_session: Any, envelope: Envelope[JournalpostStatusChanged]) -> None:
        nonlocal attempts
        if envelope.id == poison.id:
            attempts += 1
            raise ValueError(POISON_REASON)
        handled.append(envelope.id)

    good = [status_changed(uuid.uuid4()) for _ in range(3)]
    malformed = OutgoingMessage(JOURNAL_JOURNALPOST, b"k", b"{not json", [("ce_type", b"x")])
    messages = [to_binary(good[0]), to_binary(poison), to_binary(good[1])]
    await transport.publish(
        [OutgoingMessage(JOURNAL_JOURNALPOST, m.key, m.value, m.headers) for m in messages]
        + [malformed]
        + [OutgoingMessage(JOURNAL_JOURNALPOST, *_parts(to_binary(good[2])))]
    )
    consumer = EventConsumer(
        service=f"dlt-{uuid.uuid4().hex[:8]}", name="poison", database=database, transport=transport,
        handlers={JournalpostStatusChanged: handler}, max_attempts=3, retry_initial_s=0.01, retry_max_s=0.05,
        fetch_timeout_s=0.2,
    )
    task = asyncio.create_task(consumer.run())
    try:
        for _ in range(300):
            if len(handled) == 3:
                break
            await asyncio.sleep(0.1)
    finally:
        consumer.stop()
        await asyncio.wait_for(task, 30)
    # Different keys may sit on different partitions: order only holds per key.
    assert sorted(handled) == sorted(g.id for g in good), "the consumer did not go on after the poison event"
    assert attempts == 3, "the poison event was not retried up to the limit"
    return handled, poison


def _parts(message: Any) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    return message.key, message.value, message.headers


def assert_dead_letter_headers(headers: dict[str, bytes], poison: Envelope[Any], offset_known: bool = True) -> None:
    assert headers["ce_id"] == str(poison.id).encode()
    assert headers["dlt_original_topic"] == JOURNAL_JOURNALPOST.encode()
    assert POISON_REASON.encode() in headers["dlt_error"]
    assert headers["dlt_error_type"] == b"ValueError"
    assert headers["dlt_consumer_group"].endswith(b".poison")
    if offset_known:
        assert int(headers["dlt_original_offset"]) >= 0


async def test_poison_event_goes_to_dead_letter_table_embedded(tmp_path: Path) -> None:
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/consumer.sqlite")
    await create_messaging_schema(database)
    transport = EmbeddedTransport(f"sqlite+aiosqlite:///{tmp_path}/bus.sqlite")
    await transport.start()
    try:
        _, poison = await run_poison_scenario(transport, database)
        dead = await transport.dead_letters(JOURNAL_JOURNALPOST + ".dlt")
        assert len(dead) == 2  # the poison event and the malformed message
        poison_row = next(d for d in dead if dict(d["headers"]).get("ce_id") == str(poison.id))
        assert_dead_letter_headers({k: v.encode() for k, v in poison_row["headers"]}, poison)
        malformed = next(d for d in dead if d is not poison_row)
        assert dict(malformed["headers"])["dlt_error_type"] == "MalformedEvent"
        assert malformed["value"] == b"{not json"
    finally:
        await transport.stop()
        await database.dispose()


@pytest.mark.postgres
@pytest.mark.kafka
async def test_poison_event_goes_to_dead_letter_topic_kafka(postgres_database: str, kafka_bootstrap: str) -> None:
    database = Database(postgres_database)
    await create_messaging_schema(database)
    prefix = f"t{uuid.uuid4().hex[:8]}."
    transport = KafkaTransport(kafka_bootstrap, topic_prefix=prefix)
    await transport.start()
    try:
        _, poison = await run_poison_scenario(transport, database)
        reader = AIOKafkaConsumer(
            f"{prefix}{JOURNAL_JOURNALPOST}.dlt", bootstrap_servers=kafka_bootstrap,
            auto_offset_reset="earliest", group_id=f"reader-{uuid.uuid4().hex}",
        )
        await reader.start()
        try:
            records = []
            for _ in range(20):
                batch = await reader.getmany(timeout_ms=500)
                records += [r for rs in batch.values() for r in rs]
                if len(records) >= 2:
                    break
        finally:
            await reader.stop()
        assert len(records) == 2
        poison_record = next(r for r in records if dict(r.headers).get("ce_id") == str(poison.id).encode())
        assert_dead_letter_headers(dict(poison_record.headers), poison)
        assert poison_record.key == str(poison.subject).encode()
    finally:
        await transport.stop()
        await database.dispose()
