"""Kafka transport over aiokafka: idempotent producer, manual commits, binary-mode headers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import (
    CommitFailedError,
    InvalidProducerIdMapping,
    KafkaError,
    OutOfOrderSequenceNumber,
    TopicAlreadyExistsError,
    UnknownProducerId,
)

from arkiv5_contracts.topics import TOPICS, dead_letter_topic

from .base import IncomingRecord, OutgoingMessage

log = logging.getLogger(__name__)

# After a broker restart mid-batch the idempotent producer can come back out of step with
# the broker and never recover by itself (every later publish fails the same way). A new
# producer (a new producer id) cures it; the unacknowledged batch is published again.
PRODUCER_OUT_OF_STEP = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerIdMapping)


class KafkaTransport:
    name = "kafka"

    def __init__(
        self,
        bootstrap_servers: str,
        *,
        client_id: str = "arkiv5",
        create_topics: bool = True,
        request_timeout_ms: int = 15000,
        linger_ms: int = 5,
        topic_prefix: str = "",
    ) -> None:
        self.bootstrap_servers = bootstrap_servers
        # Lets several environments (or test runs) share one cluster: "test." + journal.saksmappe.
        self.topic_prefix = topic_prefix
        self.client_id = client_id
        self.create_topics = create_topics
        self.request_timeout_ms = request_timeout_ms
        self.linger_ms = linger_ms
        self._producer: AIOKafkaProducer | None = None
        self._connecting: asyncio.Task[None] | None = None
        self._users = 0
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        """Reference-counted, so services sharing one transport can each start and stop it.

        Never fails because the broker is away: a service must start (and serve HTTP, with
        events waiting in its outbox) while Kafka is down, so the connection is made in the
        background and `publish` raises until it is up.
        """
        async with self._lock:
            self._users += 1
            if self._connecting is None:
                self._connecting = asyncio.create_task(self._connect(), name="kafka-connect")

    async def _connect(self) -> None:
        delay = 0.5
        while True:
            try:
                if self.create_topics:
                    await self.ensure_topics()
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap_servers,
                    client_id=self.client_id,
                    enable_idempotence=True,  # implies acks="all"; retries cannot duplicate or reorder
                    linger_ms=self.linger_ms,
                    max_batch_size=512 * 1024,
                    request_timeout_ms=self.request_timeout_ms,
                )
                try:
                    await producer.start()
                except BaseException:
                    await producer.stop()
                    raise
                self._producer = producer
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("kafka not reachable yet (%s); retrying in %.1fs", type(exc).__name__, delay)
                await asyncio.sleep(delay)
                delay = min(10.0, delay * 2)

    async def stop(self) -> None:
        async with self._lock:
            self._users = max(0, self._users - 1)
            if self._users:
                return
            connecting, self._connecting = self._connecting, None
            if connecting is not None and not connecting.done():
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)
            producer, self._producer = self._producer, None
            if producer is None:
                return
            try:
                await asyncio.wait_for(producer.stop(), timeout=10)
            except (TimeoutError, KafkaError):
                log.warning("kafka producer did not stop cleanly")

    async def ensure_topics(self) -> None:
        """Create every registered topic and its dead-letter topic if missing."""
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap_servers, client_id=f"{self.client_id}-admin")
        await admin.start()
        try:
            existing = set(await admin.list_topics())
            wanted = []
            for spec in TOPICS.values():
                for topic, partitions in ((spec.name, spec.partitions), (dead_letter_topic(spec.name), 1)):
                    name = self.topic_prefix + topic
                    if name not in existing:
                        wanted.append(NewTopic(name=name, num_partitions=partitions, replication_factor=1))
            if wanted:
                try:
                    await admin.create_topics(wanted)
                except TopicAlreadyExistsError:
                    pass  # another replica won the race
        finally:
            await admin.close()

    async def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if self._producer is None and self._connecting is not None:
            # Give a connection under way the same time a request to the broker would get.
            await asyncio.wait([self._connecting], timeout=self.request_timeout_ms / 1000)
        if self._producer is None:
            raise ConnectionError("not connected to Kafka yet")
        producer = self._producer
        try:
            # send() only enqueues into the batch accumulator; the futures resolve on broker ack.
            pending = [
                await producer.send(self.topic_prefix + m.topic, value=m.value, key=m.key, headers=list(m.headers))
                for m in messages
            ]
            await asyncio.gather(*pending)
        except PRODUCER_OUT_OF_STEP as exc:
            log.warning("kafka producer out of step with the broker (%s); starting a new one", type(exc).__name__)
            await self._replace_producer(producer)
            raise

    async def _replace_producer(self, failed: AIOKafkaProducer) -> None:
        stop_failed = failed.stop
        async with self._lock:
            if self._producer is not failed:
                return  # another publish replaced it already
            self._producer = None
            with contextlib.suppress(Exception):
                await asyncio.wait_for(stop_failed(), timeout=10)
            if self._users and (self._connecting is None or self._connecting.done()):
                self._connecting = asyncio.create_task(self._connect(), name="kafka-connect")

    def subscriber(self, group: str, topics: Sequence[str]) -> KafkaSubscriber:
        return KafkaSubscriber(self, group, list(topics))


class KafkaSubscriber:
    def __init__(self, transport: KafkaTransport, group: str, topics: list[str]) -> None:
        self.transport = transport
        self.group = group
        self.topics = topics
        self._consumer: AIOKafkaConsumer | None = None
        self._interrupted = asyncio.Event()

    def interrupt(self) -> None:
        self._interrupted.set()

    async def start(self) -> None:
        self._interrupted.clear()
        consumer = AIOKafkaConsumer(
            *(self.transport.topic_prefix + topic for topic in self.topics),
            bootstrap_servers=self.transport.bootstrap_servers,
            client_id=f"{self.transport.client_id}-{self.group}",
            group_id=self.group,
            enable_auto_commit=False,  # we commit after the database commit
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_interval_ms=300_000,
            request_timeout_ms=self.transport.request_timeout_ms + 5000,
        )
        await consumer.start()
        self._consumer = consumer

    async def stop(self) -> None:
        consumer, self._consumer = self._consumer, None
        if consumer is not None:
            try:
                await asyncio.wait_for(consumer.stop(), timeout=10)
            except (TimeoutError, KafkaError):
                log.warning("kafka consumer %s did not stop cleanly", self.group)

    async def fetch(self, max_records: int, timeout_s: float) -> list[IncomingRecord]:
        assert self._consumer is not None
        if self._interrupted.is_set():
            return []
        # An interrupt cancels getmany, which is safe: aiokafka takes records from its buffer
        # only in the step that returns them, never across an await, so a cancelled getmany
        # has taken none (and the offsets are committed only after processing anyway).
        getting = asyncio.ensure_future(
            self._consumer.getmany(timeout_ms=int(timeout_s * 1000), max_records=max_records))
        interrupted = asyncio.ensure_future(self._interrupted.wait())
        try:
            await asyncio.wait((getting, interrupted), return_when=asyncio.FIRST_COMPLETED)
        finally:
            interrupted.cancel()
            if not getting.done():
                getting.cancel()
            await asyncio.gather(getting, interrupted, return_exceptions=True)
        if getting.cancelled():
            return []
        batches = getting.result()
        records = [
            IncomingRecord(
                topic=r.topic.removeprefix(self.transport.topic_prefix),
                partition=r.partition,
                offset=r.offset,
                key=r.key,
                value=r.value or b"",
                headers=tuple(r.headers or ()),
            )
            for partition_records in batches.values()
            for r in partition_records
        ]
        return records

    async def commit(self, records: Sequence[IncomingRecord]) -> None:
        assert self._consumer is not None
        offsets: dict[TopicPartition, int] = {}
        for r in records:
            tp = TopicPartition(self.transport.topic_prefix + r.topic, r.partition)
            offsets[tp] = max(offsets.get(tp, 0), r.offset + 1)
        try:
            await self._consumer.commit(offsets)
        except CommitFailedError:
            # A rebalance took the partitions away; their new owner redelivers and the
            # inbox makes the redelivery harmless.
            log.warning("offset commit failed after a rebalance; records will be redelivered")

    async def rewind(self) -> None:
        assert self._consumer is not None
        for tp in self._consumer.assignment():
            committed = await self._consumer.committed(tp)
            if committed is None:
                await self._consumer.seek_to_beginning(tp)
            else:
                self._consumer.seek(tp, committed)

    async def lag(self) -> dict[str, int]:
        if self._consumer is None:
            return {}
        lag: dict[str, int] = {}
        for tp in self._consumer.assignment():
            highwater = self._consumer.highwater(tp)
            if highwater is None:
                continue
            committed = await self._consumer.committed(tp) or 0
            topic = tp.topic.removeprefix(self.transport.topic_prefix)
            lag[topic] = lag.get(topic, 0) + max(0, highwater - committed)
        return lag
