"""Never twice, never lost — across a Kafka broker restart, with PostgreSQL.

The requests come from a stand-in journal through its own outbox and relay onto a real
Kafka broker; the gateway consumes them, sends through the SvarUt simulator, and publishes
every status back onto Kafka, where a test consumer reads them. Mid-run the broker is
stopped and started again. This test starts its own broker (own state dir and ports) so
that stopping it disturbs nobody else's tests.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from required import missing
from sqlalchemy import func, select
from svarut_helpers import gateway_settings
from test_never_twice import requests_for, states

from arkiv5_contracts.cloudevents import from_binary
from arkiv5_contracts.events.dispatch import DispatchAccepted, DispatchRejected, DispatchStatusChanged
from arkiv5_contracts.topics import DISPATCH_STATUS
from arkiv5_kit.db import Database
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.outbox import Outbox
from arkiv5_kit.relay import OutboxRelay
from arkiv5_kit.testing import create_messaging_schema
from arkiv5_kit.transport.kafka import KafkaTransport
from arkiv5_svarut_gateway.app import create_app
from arkiv5_svarut_gateway.models import DispatchState
from arkiv5_svarut_gateway.simulator import SimulatorConfig, create_simulator_app
from arkiv5_svarut_gateway.testing import FakeConversion, FakeJournal
from conftest import serve
from processes import free_port
from project import load_script

# The must-show is 1,000 dispatches; the test runs 200 to stay within a CI minute or two
# (the same protocol at 1,000 is what bench/bench_svarut_gateway.py drives).
N = 200


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


@pytest.fixture
async def journal_database(postgres_url: str):  # type: ignore[no-untyped-def]
    """The stand-in journal's own PostgreSQL database (its outbox), as a second service has."""
    import asyncpg
    from sqlalchemy.engine import make_url

    base = make_url(postgres_url)
    name = f"t_{uuid.uuid4().hex[:16]}"
    dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield base.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


class StatusReader:
    """A test consumer of dispatch.status on Kafka, reading throughout (also across the outage)."""

    def __init__(self, transport: KafkaTransport) -> None:
        self.subscriber = transport.subscriber(f"test-status-{uuid.uuid4().hex[:8]}", [DISPATCH_STATUS])
        self.events: dict[uuid.UUID, Any] = {}  # envelope id → event data (redeliveries collapse)
        self.records = 0
        self._stop = asyncio.Event()

    async def run(self) -> None:
        while True:
            try:
                await self.subscriber.start()
                break
            except Exception:
                await asyncio.sleep(0.5)
        try:
            while not self._stop.is_set():
                try:
                    records = await self.subscriber.fetch(500, 0.5)
                except Exception:
                    await asyncio.sleep(0.5)  # the broker is away; aiokafka reconnects
                    continue
                for record in records:
                    envelope = from_binary(record.headers, record.value)
                    self.records += 1
                    self.events[envelope.id] = envelope.data
        finally:
            await self.subscriber.stop()

    def stop(self) -> None:
        self._stop.set()

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events.values() if isinstance(e, kind)]


async def unpublished(database: Database) -> int:
    async with database.engine.connect() as connection:
        query = select(func.count()).select_from(outbox_table).where(outbox_table.c.published_at.is_(None))
        return int(await connection.scalar(query) or 0)


async def wait_for(predicate, timeout_s: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.1)


@pytest.mark.kafka
@pytest.mark.postgres
@pytest.mark.timeout(400)
async def test_200_dispatches_over_kafka_are_delivered_once_each_across_a_broker_restart(
    tmp_path: Path, postgres_database: str, journal_database: str, own_kafka_broker: Any
) -> None:
    """200 DispatchRequested through Kafka (a reduced size of the must-show's 1,000): every
    letter reaches SvarUt exactly once, and every acceptance and terminal status comes back
    over Kafka, although the broker is stopped mid-run while requests and statuses are under way."""
    broker = own_kafka_broker
    prefix = f"t{uuid.uuid4().hex[:8]}."
    # The gateway's transport as its app builds it for bus=kafka; the journal's the same way.
    journal_bus = KafkaTransport(broker.bootstrap, client_id="journal", topic_prefix=prefix, request_timeout_ms=5000)
    gateway_bus = KafkaTransport(broker.bootstrap, client_id="svarut-gateway", topic_prefix=prefix,
                                 request_timeout_ms=5000)
    reader_bus = KafkaTransport(broker.bootstrap, client_id="test-reader", topic_prefix=prefix,
                                request_timeout_ms=5000, create_topics=False)

    # The journal's side: its own database, outbox and relay, as in production.
    journal_db = Database(journal_database)
    await create_messaging_schema(journal_db)
    journal_relay = OutboxRelay(service="journal", database=journal_db, transport=journal_bus, poll_interval_s=0.05)

    sim_app = create_simulator_app(SimulatorConfig(status_step_s=0.05))
    sim = sim_app.state.simulator
    server, server_task, sim_url = await serve(sim_app)
    journal = FakeJournal()
    events = requests_for(journal, N, seed=3)
    app = create_app(gateway_settings(tmp_path, sim_url, database_url=postgres_database, worker_concurrency=16,
                                      consumer_retry_max_s=0.5),
                     bus=gateway_bus, journal=journal, conversion=FakeConversion(journal))
    runtime = app.state.runtime
    reader = StatusReader(reader_bus)
    tasks: list[asyncio.Task[None]] = []
    try:
        await journal_bus.start()
        await reader_bus.start()
        await runtime.start()
        tasks = [asyncio.create_task(journal_relay.run()), asyncio.create_task(reader.run())]

        async with journal_db.unit_of_work() as session:
            await Outbox().add_many(session, list(events[: N // 2]))

        async def some_accepted() -> bool:
            done = await states(app)
            return done[DispatchState.ACCEPTED] + done[DispatchState.COMPLETED] >= N // 5

        await wait_for(some_accepted, 120, "the first acceptances")
        assert len(sim.deliveries) < N  # really mid-run

        await asyncio.to_thread(broker.stop)
        # The journal goes on ordering letters; they wait in its outbox. The gateway goes on
        # sending what it has; its status events wait in its outbox.
        async with journal_db.unit_of_work() as session:
            await Outbox().add_many(session, list(events[N // 2:]))
        await asyncio.sleep(2)
        held_by_journal = await unpublished(journal_db)
        held_by_gateway = await unpublished(runtime.database)
        await asyncio.to_thread(broker.start)
        assert held_by_journal >= N - N // 2, "the journal's requests did not wait for the broker"
        assert held_by_gateway > 0, "no status waited for the broker: the outage proved nothing"

        async def all_reported() -> bool:
            terminal = {e.dispatch_id for e in reader.of(DispatchStatusChanged) if e.is_terminal}
            return (await states(app))[DispatchState.COMPLETED] == N and len(terminal) == N

        await wait_for(all_reported, 240, "every dispatch to complete and be reported over Kafka")
        await asyncio.sleep(1.0)  # give a duplicate the chance to show up
    finally:
        reader.stop()
        journal_relay.stop()
        if not broker.is_running():  # a failure mid-outage: bring it back so everything can stop
            await asyncio.to_thread(broker.start)
        _, stuck = await asyncio.wait(tasks, timeout=15) if tasks else (set(), set())
        for task in stuck:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await runtime.stop()
        await journal_bus.stop()
        await reader_bus.stop()
        await journal_db.dispose()
        server.should_exit = True
        await asyncio.wait_for(server_task, timeout=10)

    # Exactly once at SvarUt.
    refs = {f"{e.dispatch_id}:{e.recipient_ids[0]}" for e in events}
    assert set(sim.deliveries) == refs
    assert Counter(sim.deliveries.values()) == Counter({1: N})
    assert sim.rejected == []

    # Every status came back over Kafka: one acceptance and one terminal status per dispatch
    # (a relay may publish an event twice across the outage; its id is the same and collapses).
    accepted = reader.of(DispatchAccepted)
    terminal = [e for e in reader.of(DispatchStatusChanged) if e.is_terminal]
    assert Counter(e.dispatch_id for e in accepted) == Counter({e.dispatch_id: 1 for e in events})
    assert Counter(e.dispatch_id for e in terminal) == Counter({e.dispatch_id: 1 for e in events})
    assert {e.svarut_id for e in accepted} == set(sim.forsendelser)
    assert not reader.of(DispatchRejected)
