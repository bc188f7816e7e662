"""Test helpers for services: an in-memory transport and schema set-up.

`RecordingTransport` is a fake for unit tests only; integration tests use the embedded
transport and the real Kafka broker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from arkiv5_contracts.cloudevents import from_binary
from arkiv5_contracts.envelope import Envelope

from .db import Database
from .messaging import messaging_metadata
from .transport.base import IncomingRecord, OutgoingMessage


class RecordingTransport:
    """Keeps every published message in a list; subscribers read that list in order."""

    name = "recording"

    def __init__(self) -> None:
        self.messages: list[OutgoingMessage] = []
        self.fail_next_publishes = 0
        self._published = asyncio.Event()

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if self.fail_next_publishes:
            self.fail_next_publishes -= 1
            raise ConnectionError("recording transport told to fail")
        self.messages.extend(messages)
        self._published.set()

    def envelopes(self, topic: str | None = None) -> list[Envelope[Any]]:
        return [from_binary(m.headers, m.value) for m in self.messages if topic in (None, m.topic)]

    def subscriber(self, group: str, topics: Sequence[str]) -> RecordingSubscriber:
        return RecordingSubscriber(self, group, list(topics))


class RecordingSubscriber:
    def __init__(self, transport: RecordingTransport, group: str, topics: list[str]) -> None:
        self.transport = transport
        self.group = group
        self.topics = topics
        self.committed = 0
        self._position = 0

    async def start(self) -> None:
        self._position = self.committed

    async def stop(self) -> None:
        return None

    async def fetch(self, max_records: int, timeout_s: float) -> list[IncomingRecord]:
        if self._position >= len(self.transport.messages):
            self.transport._published.clear()
            try:
                await asyncio.wait_for(self.transport._published.wait(), timeout=timeout_s)
            except asyncio.TimeoutError:
                return []
        records = []
        while self._position < len(self.transport.messages) and len(records) < max_records:
            message = self.transport.messages[self._position]
            if message.topic in self.topics:
                records.append(
                    IncomingRecord(message.topic, 0, self._position, message.key, message.value,
                                   tuple(message.headers))
                )
            self._position += 1
        return records

    async def commit(self, records: Sequence[IncomingRecord]) -> None:
        if records:
            self.committed = max(self.committed, max(r.offset for r in records) + 1)

    async def rewind(self) -> None:
        self._position = self.committed

    async def lag(self) -> dict[str, int]:
        return {}


async def create_messaging_schema(database: Database) -> None:
    """Create the outbox and inbox without Alembic (for kit tests of bare databases)."""
    async with database.engine.begin() as connection:
        await connection.run_sync(messaging_metadata.create_all)
