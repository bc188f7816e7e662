"""The outbox relay: moves committed outbox rows to the bus, then marks them sent.

Each batch is read with `FOR UPDATE SKIP LOCKED` (PostgreSQL; SQLite has one writer and
ignores it) so replicas of a service share the work without publishing a row twice
between them; the rows are marked `published_at` in the same transaction only after the
bus acknowledged the whole batch. A crash between the ack and the commit republishes the
batch — delivery is at-least-once and consumers are idempotent.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select, update

from .db import Database, read_connection
from .idle import IdleBackoff
from .messaging import outbox_table
from .metrics import EVENTS_PUBLISHED, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, RELAY_FAILURES
from .transport.base import OutgoingMessage, Transport

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(
        self,
        *,
        service: str,
        database: Database,
        transport: Transport,
        batch_size: int = 500,
        poll_interval_s: float = 0.25,
        idle_poll_max_s: float = 5.0,
        retention: timedelta = timedelta(hours=72),
        max_backoff_s: float = 5.0,
        gauge_interval_s: float = 5.0,
    ) -> None:
        self.service = service
        self.database = database
        self.transport = transport
        self.batch_size = batch_size
        self.poll_interval_s = poll_interval_s
        # Commits of this process wake the relay; the poll is for rows no wake announced (another
        # replica's or process's), so it grows while it finds nothing (idle.py).
        self._idle = IdleBackoff(poll_interval_s, idle_poll_max_s)
        self.retention = retention
        self.max_backoff_s = max_backoff_s
        self.gauge_interval_s = gauge_interval_s
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        database.on_outbox_commit(self.wake)

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()

    async def publish_batch(self) -> int:
        """Publish at most one batch; returns how many events left. Raises if the bus fails."""
        query = (
            select(
                outbox_table.c.id,
                outbox_table.c.topic,
                outbox_table.c.message_key,
                outbox_table.c.headers,
                outbox_table.c.payload,
            )
            .where(outbox_table.c.published_at.is_(None))
            .order_by(outbox_table.c.id)
            .limit(self.batch_size)
            .with_for_update(skip_locked=True)
        )
        async with self.database.engine.begin() as connection:
            rows = (await connection.execute(query)).all()
            if not rows:
                return 0
            messages = [
                OutgoingMessage(
                    topic=row.topic,
                    key=row.message_key.encode(),
                    value=row.payload.encode(),
                    headers=[(name, value.encode()) for name, value in row.headers],
                )
                for row in rows
            ]
            await self.transport.publish(messages)
            await connection.execute(
                update(outbox_table)
                .where(outbox_table.c.id.in_([row.id for row in rows]))
                .values(published_at=datetime.now(UTC))
            )
        per_topic: dict[str, int] = {}
        for message in messages:
            per_topic[message.topic] = per_topic.get(message.topic, 0) + 1
        for topic, count in per_topic.items():
            EVENTS_PUBLISHED.labels(self.service, topic).inc(count)
        return len(rows)

    async def drain(self) -> int:
        """Publish until the outbox is empty (used at shutdown and in tests)."""
        total = 0
        while sent := await self.publish_batch():
            total += sent
        return total

    async def update_gauges(self) -> None:
        query = select(func.count(), func.min(outbox_table.c.created_at)).where(outbox_table.c.published_at.is_(None))
        async with read_connection(self.database.engine) as connection:
            count, oldest = (await connection.execute(query)).one()
        OUTBOX_BACKLOG.labels(self.service).set(count)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)  # SQLite hands back naive UTC
        OUTBOX_OLDEST_AGE.labels(self.service).set(
            (datetime.now(UTC) - oldest).total_seconds() if oldest is not None else 0
        )

    async def prune(self) -> None:
        cutoff = datetime.now(UTC) - self.retention
        async with self.database.engine.begin() as connection:
            await connection.execute(delete(outbox_table).where(outbox_table.c.published_at < cutoff))

    async def run(self) -> None:
        """Until stopped: publish whenever woken, else poll (less often while nothing comes); back off on failure."""
        backoff = 0.0
        loop = asyncio.get_running_loop()
        next_gauges = 0.0
        next_prune = loop.time() + 60
        while not self._stopping.is_set():
            try:
                self._wake.clear()
                sent = await self.publish_batch()
                backoff = 0.0
                now = loop.time()
                if now >= next_gauges:
                    await self.update_gauges()
                    next_gauges = now + self.gauge_interval_s
                if now >= next_prune:
                    await self.prune()
                    next_prune = now + 3600
                if sent == self.batch_size:
                    continue  # more waiting: no sleep
                if sent or self._wake.is_set():
                    self._idle.reset()
                await self._sleep(self._idle.next_s())
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the bus or the database is away: retry, never drop
                RELAY_FAILURES.labels(self.service).inc()
                backoff = min(self.max_backoff_s, max(0.1, backoff * 2))
                log.warning("outbox relay could not publish (%s); retrying in %.1fs", type(exc).__name__, backoff)
                await self._sleep(backoff, wakeable=False)
        # Shutdown: one last best-effort flush so committed events do not wait for the next start.
        try:
            await asyncio.wait_for(self.drain(), timeout=5)
        except Exception:
            log.info("outbox relay left events for the next start")

    async def _sleep(self, seconds: float, *, wakeable: bool = True) -> None:
        waiter = self._wake if wakeable else self._stopping
        try:
            await asyncio.wait_for(waiter.wait(), timeout=seconds)
        except TimeoutError:
            pass
