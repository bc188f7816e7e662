"""The embedded transport: Kafka's role played by one SQLite (or any SQL) log, in-process.

For running the whole suite on one machine with nothing to install. The relay and the
consumers are the very same code as with Kafka: the relay appends to `bus_log` (one
transaction per batch, so it is the acknowledgement), each consumer group keeps its
delivery cursor in `bus_cursor`, and dead letters land in `bus_dead_letter`. A publish
wakes waiting subscribers at once, so in-process latency is a few milliseconds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    bindparam,
    delete,
    func,
    insert,
    select,
)

from arkiv5_contracts.topics import DEAD_LETTER_SUFFIX

from ..db import create_engine, read_connection
from .base import IncomingRecord, OutgoingMessage

bus_metadata = MetaData()

bus_log = Table(
    "bus_log",
    bus_metadata,
    Column("offset", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False, index=True),
    Column("key", LargeBinary, nullable=True),
    Column("headers", JSON, nullable=False),
    Column("value", LargeBinary, nullable=False),
    Column("appended_at", DateTime(timezone=True), nullable=False),
)

bus_cursor = Table(
    "bus_cursor",
    bus_metadata,
    Column("consumer_group", String(200), primary_key=True),
    Column("committed_offset", Integer, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

bus_dead_letter = Table(
    "bus_dead_letter",
    bus_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("topic", String(200), nullable=False, index=True, comment="The dead-letter topic, <origin>.dlt"),
    Column("key", LargeBinary, nullable=True),
    Column("headers", JSON, nullable=False, comment="Original headers plus the error and origin"),
    Column("value", LargeBinary, nullable=False),
    Column("dead_lettered_at", DateTime(timezone=True), nullable=False),
)


def _encode_headers(headers: Sequence[tuple[str, bytes]]) -> list[list[str]]:
    return [[name, value.decode("utf-8", errors="replace")] for name, value in headers]


class EmbeddedTransport:
    name = "embedded"

    def __init__(self, url: str, *, retention: timedelta = timedelta(days=7)) -> None:
        self.url = url
        self.retention = retention
        self.engine = create_engine(url)
        self._published = asyncio.Condition()
        self._generation = 0  # bumped on every publish, so a waiter cannot miss one
        # Bumped per topic, so a subscriber wakes (and reads the log) only for its own topics:
        # in `make run` a dozen consumer groups share this bus and most events concern few.
        self._topic_generations: dict[str, int] = {}
        self._users = 0
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        async with self._lock:
            self._users += 1
            if self._users > 1:
                return
            async with self.engine.begin() as connection:
                await connection.run_sync(bus_metadata.create_all)
                cutoff = datetime.now(UTC) - self.retention
                await connection.execute(delete(bus_log).where(bus_log.c.appended_at < cutoff))

    async def stop(self) -> None:
        async with self._lock:
            self._users = max(0, self._users - 1)
            if self._users == 0:
                await self.engine.dispose()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        now = datetime.now(UTC)
        log_rows = [m for m in messages if not m.topic.endswith(DEAD_LETTER_SUFFIX)]
        dead_rows = [m for m in messages if m.topic.endswith(DEAD_LETTER_SUFFIX)]
        async with self.engine.begin() as connection:
            if log_rows:
                await connection.execute(
                    insert(bus_log),
                    [
                        {"topic": m.topic, "key": m.key, "headers": _encode_headers(m.headers), "value": m.value,
                         "appended_at": now}
                        for m in log_rows
                    ],
                )
            if dead_rows:
                await connection.execute(
                    insert(bus_dead_letter),
                    [
                        {"topic": m.topic, "key": m.key, "headers": _encode_headers(m.headers), "value": m.value,
                         "dead_lettered_at": now}
                        for m in dead_rows
                    ],
                )
        async with self._published:
            self._generation += 1
            for topic in {m.topic for m in messages}:
                self._topic_generations[topic] = self._topic_generations.get(topic, 0) + 1
            self._published.notify_all()

    def subscriber(self, group: str, topics: Sequence[str]) -> EmbeddedSubscriber:
        return EmbeddedSubscriber(self, group, list(topics))

    @property
    def generation(self) -> int:
        return self._generation

    def generation_of(self, topics: Sequence[str]) -> int:
        """A number that changes whenever something is published to one of `topics`."""
        return sum(self._topic_generations.get(topic, 0) for topic in topics)

    async def wait_for_publish(
        self, since_generation: int, timeout_s: float, topics: Sequence[str] | None = None
    ) -> None:
        """Wait until something was published (to `topics`, when given) after `since_generation`, or the timeout.

        `since_generation` is `generation` without topics, `generation_of(topics)` with them.
        """

        def published() -> bool:
            now = self._generation if topics is None else self.generation_of(topics)
            return now != since_generation

        async with self._published:
            try:
                await asyncio.wait_for(self._published.wait_for(published), timeout=timeout_s)
            except TimeoutError:
                pass

    async def dead_letters(self, topic: str | None = None) -> list[dict]:
        query = select(bus_dead_letter).order_by(bus_dead_letter.c.id)
        if topic is not None:
            query = query.where(bus_dead_letter.c.topic == topic)
        async with read_connection(self.engine) as connection:
            return [dict(row._mapping) for row in await connection.execute(query)]


class EmbeddedSubscriber:
    def __init__(self, transport: EmbeddedTransport, group: str, topics: list[str]) -> None:
        self.transport = transport
        self.group = group
        self.topics = topics
        self._position = 0  # last offset handed out by fetch
        self._interrupted = asyncio.Event()
        # Built once: a busy consumer reads and commits after every event.
        self._read_query = (
            select(bus_log)
            .where(bus_log.c.offset > bindparam("position"), bus_log.c.topic.in_(self.topics))
            .order_by(bus_log.c.offset)
            .limit(bindparam("max_records"))
        )
        self._committed_query = select(bus_cursor.c.committed_offset).where(bus_cursor.c.consumer_group == group)
        self._advance = (
            bus_cursor.update()
            .where(bus_cursor.c.consumer_group == group)
            .values(committed_offset=bindparam("offset"), updated_at=bindparam("now"))
        )

    async def start(self) -> None:
        self._interrupted.clear()
        self._position = await self._committed()

    def interrupt(self) -> None:
        self._interrupted.set()

    async def stop(self) -> None:
        return None

    async def _committed(self) -> int:
        async with read_connection(self.transport.engine) as connection:
            value = await connection.scalar(self._committed_query)
        return int(value or 0)

    async def fetch(self, max_records: int, timeout_s: float) -> list[IncomingRecord]:
        generation = self.transport.generation_of(self.topics)
        records = await self._read(max_records)
        if not records and not self._interrupted.is_set():
            # Only this wait gives way to an interrupt: a read cut short by a cancellation
            # could leave its database connection half used.
            await _first_of(self.transport.wait_for_publish(generation, timeout_s, self.topics),
                            self._interrupted.wait())
            if self._interrupted.is_set():
                return []
            records = await self._read(max_records)
        if records:
            self._position = records[-1].offset
        return records

    async def _read(self, max_records: int) -> list[IncomingRecord]:
        async with read_connection(self.transport.engine) as connection:
            rows = (await connection.execute(
                self._read_query, {"position": self._position, "max_records": max_records})).all()
        return [
            IncomingRecord(
                topic=row.topic,
                partition=0,
                offset=row.offset,
                key=row.key,
                value=row.value,
                headers=tuple((name, value.encode()) for name, value in row.headers),
            )
            for row in rows
        ]

    async def commit(self, records: Sequence[IncomingRecord]) -> None:
        if not records:
            return
        offset = max(r.offset for r in records)
        now = datetime.now(UTC)
        async with self.transport.engine.begin() as connection:
            current = await connection.scalar(self._committed_query)
            if current is None:
                await connection.execute(
                    insert(bus_cursor).values(consumer_group=self.group, committed_offset=offset, updated_at=now)
                )
            elif offset > current:
                await connection.execute(self._advance, {"offset": offset, "now": now})

    async def rewind(self) -> None:
        self._position = await self._committed()

    async def lag(self) -> dict[str, int]:
        committed = await self._committed()
        query = (
            select(bus_log.c.topic, func.count())
            .where(bus_log.c.offset > committed, bus_log.c.topic.in_(self.topics))
            .group_by(bus_log.c.topic)
        )
        async with read_connection(self.transport.engine) as connection:
            rows = (await connection.execute(query)).all()
        return {topic: int(count) for topic, count in rows}


async def _first_of(*waits: Coroutine[Any, Any, Any]) -> None:
    """Wait until the first of `waits` ends and cancel the others (each only waits: nothing to lose)."""
    tasks = [asyncio.ensure_future(wait) for wait in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
