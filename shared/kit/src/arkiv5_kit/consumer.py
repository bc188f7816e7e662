"""The idempotent consumer: one event, one transaction, one effect — or a dead letter.

For each record: decode the CloudEvent; in one database transaction skip it if the inbox
has its id, else run the handler and record the id; commit; only then commit the offset.
A failing handler is retried with exponential backoff (tenacity); when the attempts are
spent the record goes to `<topic>.dlt` with the error and its origin in headers, and the
consumer goes on with the next one. A record that cannot be decoded at all goes there
directly. Nothing is dropped silently.

Batch mode: a handler registered in `batch_handlers` takes a list of envelopes. Then a
fetched batch has its inbox look-up, every handler's effect and the inbox inserts in
**one** transaction (one commit instead of one per event), with the same guarantees: an
event id seen before, or twice in the batch, has its effect once; the offsets are
committed after the transaction; and if anything in the batch fails, or a record cannot
be decoded, the batch is rolled back and its records go through the per-event path above
(a batch handler is then called with a list of one), so a poison event is retried and
dead-lettered alone.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession
from tenacity import AsyncRetrying, RetryError, retry_if_exception, stop_after_attempt, wait_exponential

from arkiv5_contracts.cloudevents import MalformedEvent, from_binary
from arkiv5_contracts.envelope import Envelope, EventData
from arkiv5_contracts.events import UnknownEventType
from arkiv5_contracts.topics import dead_letter_topic

from . import inbox
from .context import causation_id_var, correlation_id_var
from .db import Database
from .dberrors import is_database_error, safe_text
from .messaging import inbox_table
from .metrics import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, EVENTS_RETRIED
from .transport.base import IncomingRecord, OutgoingMessage, Subscriber, Transport

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]
BatchHandler = Callable[[AsyncSession, Sequence[Envelope[Any]]], Awaitable[None]]

_MAX_ERROR_HEADER = 1000
INFRASTRUCTURE_ERRORS: tuple[type[BaseException], ...] = (
    OperationalError,
    InterfaceError,
    ConnectionError,
    TimeoutError,
)


class EventConsumer:
    """Runs one consumer group over its topics with handlers keyed by event model."""

    def __init__(
        self,
        *,
        service: str,
        name: str,
        database: Database,
        transport: Transport,
        handlers: Mapping[type[EventData], Handler] | None = None,
        batch_handlers: Mapping[type[EventData], BatchHandler] | None = None,
        batch_size: int = 200,
        max_attempts: int = 5,
        retry_initial_s: float = 0.1,
        retry_max_s: float = 5.0,
        fetch_timeout_s: float = 0.5,
    ) -> None:
        self.service = service
        self.name = name
        self.group = f"{service}.{name}"
        self.database = database
        self.transport = transport
        handlers = handlers or {}
        batch_handlers = batch_handlers or {}
        if not handlers and not batch_handlers:
            raise ValueError(f"consumer {self.group} has no handlers")
        both = {m.event_type for m in handlers} & {m.event_type for m in batch_handlers}
        if both:
            raise ValueError(f"consumer {self.group}: one handler per event type, not both kinds: {sorted(both)}")
        self.handlers: dict[str, Handler] = {model.event_type: handler for model, handler in handlers.items()}
        self.batch_handlers: dict[str, BatchHandler] = {
            model.event_type: handler for model, handler in batch_handlers.items()
        }
        self.topics = sorted({model.topic for model in [*handlers, *batch_handlers]})
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.fetch_timeout_s = fetch_timeout_s
        self.subscriber: Subscriber = transport.subscriber(self.group, self.topics)
        self._stopping = asyncio.Event()
        self._next_lag_update = 0.0

    def stop(self) -> None:
        """Ask the run to end; a fetch waiting for records returns at once (`Subscriber.interrupt`)."""
        self._stopping.set()
        self.subscriber.interrupt()

    async def run(self) -> None:
        """Until stopped. A batch in progress is finished and committed before returning."""
        await self._start_subscriber()
        try:
            while not self._stopping.is_set():
                try:
                    records = await self.subscriber.fetch(self.batch_size, self.fetch_timeout_s)
                    if records and self.batch_handlers:
                        await self.process_batch(records)
                        await self.subscriber.commit(records)
                    else:
                        done: list[IncomingRecord] = []
                        for record in records:
                            await self.process(record)
                            done.append(record)
                        if done:
                            await self.subscriber.commit(done)
                    await self._update_lag()
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    # The database or the bus is away mid-batch: nothing after the failed
                    # record was committed, so go back to the committed offset and retry.
                    log.warning("consumer %s paused after %s; rewinding", self.group, type(exc).__name__)
                    if await self._paused_until_stop(self.retry_max_s):
                        break
                    try:
                        await self.subscriber.rewind()
                    except Exception:
                        log.warning("consumer %s could not rewind yet", self.group)
        finally:
            await self.subscriber.stop()

    async def _start_subscriber(self) -> None:
        delay = self.retry_initial_s or 0.1
        while True:
            try:
                await self.subscriber.start()
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._stopping.is_set():
                    raise
                log.warning("consumer %s cannot start yet (%s)", self.group, type(exc).__name__)
                if await self._paused_until_stop(delay):
                    raise
                delay = min(self.retry_max_s, delay * 2)

    async def _paused_until_stop(self, seconds: float) -> bool:
        """Wait `seconds` or until a stop is asked for; True when stopping."""
        try:
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)
        except TimeoutError:
            pass
        return self._stopping.is_set()

    async def process(self, record: IncomingRecord) -> str:
        """Handle one record exactly once; returns the outcome."""
        try:
            envelope = from_binary(record.headers, record.value)
        except UnknownEventType:
            # A newer producer's event type: not for us. Committing past it is correct.
            return self._count(record, "ignored")
        except MalformedEvent as exc:
            await self._dead_letter(record, exc)
            return self._count(record, "dead_lettered")
        handler = self._single_handler(envelope.type)
        if handler is None:
            return self._count(record, "ignored")
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.max_attempts),
                wait=wait_exponential(multiplier=self.retry_initial_s, max=self.retry_max_s),
                retry=retry_if_exception(_is_handler_failure),
                reraise=False,
            ):
                with attempt:
                    if attempt.retry_state.attempt_number > 1:
                        EVENTS_RETRIED.labels(self.service, self.name, record.topic).inc()
                    outcome = await self._handle_once(envelope, handler)
            return self._count(record, outcome)
        except RetryError as exc:
            error = exc.last_attempt.exception()
            assert error is not None
            await self._dead_letter(record, error)
            return self._count(record, "dead_lettered")

    def _single_handler(self, event_type: str) -> Handler | None:
        handler = self.handlers.get(event_type)
        if handler is not None:
            return handler
        batch_handler = self.batch_handlers.get(event_type)
        if batch_handler is None:
            return None

        async def one(session: AsyncSession, envelope: Envelope[Any]) -> None:
            await batch_handler(session, [envelope])

        return one

    async def _handle_once(self, envelope: Envelope[Any], handler: Handler) -> str:
        with _flow_of(envelope):
            async with self.database.unit_of_work() as session:
                if await inbox.seen(session, self.group, envelope.id):
                    return "duplicate"
                await handler(session, envelope)
                await inbox.record(session, self.group, envelope.id, envelope.type)
            return "processed"

    async def process_batch(self, records: Sequence[IncomingRecord]) -> list[str]:
        """Every record's effect exactly once, in one transaction when it can; the outcomes.

        Raises only when the database or the bus is away (the run loop then rewinds).
        """
        try:
            decoded: list[Envelope[Any] | None] = []
            for record in records:
                try:
                    decoded.append(from_binary(record.headers, record.value))
                except UnknownEventType:
                    decoded.append(None)
        except MalformedEvent:
            return [await self.process(record) for record in records]
        try:
            fresh = await self._handle_batch(decoded)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.warning("consumer %s: batch failed (%s); handling its events one by one",
                        self.group, type(exc).__name__)
            return [await self.process(record) for record in records]
        outcomes: list[str] = []
        counted: set[UUID] = set()
        for record, envelope in zip(records, decoded, strict=True):
            if envelope is None or not self._handles(envelope.type):
                outcome = "ignored"
            elif envelope.id in fresh and envelope.id not in counted:
                outcome = "processed"
            else:
                outcome = "duplicate"
            if envelope is not None:
                counted.add(envelope.id)
            outcomes.append(self._count(record, outcome))
        return outcomes

    def _handles(self, event_type: str) -> bool:
        return event_type in self.handlers or event_type in self.batch_handlers

    async def _handle_batch(self, decoded: Sequence[Envelope[Any] | None]) -> set[UUID]:
        """One transaction for the batch; returns the ids that had their effect now."""
        envelopes = [e for e in decoded if e is not None and self._handles(e.type)]
        if not envelopes:
            return set()
        async with self.database.unit_of_work() as session:
            ids = list({e.id for e in envelopes})
            seen = set((await session.execute(
                select(inbox_table.c.event_id).where(
                    inbox_table.c.consumer == self.group, inbox_table.c.event_id.in_(ids)
                )
            )).scalars())
            fresh: dict[UUID, Envelope[Any]] = {}
            for envelope in envelopes:
                if envelope.id not in seen:
                    fresh.setdefault(envelope.id, envelope)
            # Consecutive events of one type go to their handler together; the order of
            # events across types is kept.
            runs: list[list[Envelope[Any]]] = []
            for envelope in fresh.values():
                if runs and runs[-1][0].type == envelope.type:
                    runs[-1].append(envelope)
                else:
                    runs.append([envelope])
            for run in runs:
                batch_handler = self.batch_handlers.get(run[0].type)
                if batch_handler is not None:
                    # What the handler publishes is caused by the run: its first event's flow.
                    with _flow_of(run[0]):
                        await batch_handler(session, run)
                else:
                    for envelope in run:
                        with _flow_of(envelope):
                            await self.handlers[envelope.type](session, envelope)
            if fresh:
                at = datetime.now(UTC)
                await session.execute(inbox_table.insert(), [
                    {"consumer": self.group, "event_id": e.id, "event_type": e.type, "processed_at": at}
                    for e in fresh.values()
                ])
        return set(fresh)

    async def _dead_letter(self, record: IncomingRecord, error: BaseException) -> None:
        """Publish to the dead-letter topic; keeps trying until the bus takes it."""
        message = OutgoingMessage(
            topic=dead_letter_topic(record.topic),
            key=record.key or b"",
            value=record.value,
            headers=[
                *record.headers,
                ("dlt_error", _error_text(error).encode()),
                ("dlt_error_type", type(error).__name__.encode()),
                ("dlt_original_topic", record.topic.encode()),
                ("dlt_original_partition", str(record.partition).encode()),
                ("dlt_original_offset", str(record.offset).encode()),
                ("dlt_consumer_group", self.group.encode()),
            ],
        )
        delay = self.retry_initial_s or 0.1
        while True:
            try:
                await self.transport.publish([message])
                break
            except asyncio.CancelledError:
                raise
            except Exception:
                log.warning("dead-letter publish failed for %s; retrying", record.topic)
                await asyncio.sleep(delay)
                delay = min(self.retry_max_s, delay * 2)
        EVENTS_DEAD_LETTERED.labels(self.service, self.name, record.topic).inc()
        log.error(
            "event dead-lettered",
            extra={"topic": record.topic, "offset": record.offset, "error_type": type(error).__name__},
        )

    def _count(self, record: IncomingRecord, outcome: str) -> str:
        EVENTS_CONSUMED.labels(self.service, self.name, record.topic, outcome).inc()
        return outcome

    async def _update_lag(self, every_s: float = 5.0) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._next_lag_update:
            return
        self._next_lag_update = now + every_s
        try:
            lag = await self.subscriber.lag()
        except Exception:
            return
        for topic in self.topics:
            CONSUMER_LAG.labels(self.service, self.name, topic).set(lag.get(topic, 0))


@contextmanager
def _flow_of(envelope: Envelope[Any]) -> Iterator[None]:
    """The correlation and causation ids of the event being handled, for what it publishes."""
    correlation_token = correlation_id_var.set(envelope.correlationid)
    causation_token = causation_id_var.set(envelope.id)
    try:
        yield
    finally:
        causation_id_var.reset(causation_token)
        correlation_id_var.reset(correlation_token)


def _error_text(error: BaseException) -> str:
    # The handler's message, cut short; handlers must not put personal data in exceptions.
    # A database error's message is the statement and its parameters: only its codes go out.
    text = safe_text(error) if is_database_error(error) else f"{type(error).__name__}: {error}"
    return text[:_MAX_ERROR_HEADER]


def _is_handler_failure(error: BaseException) -> bool:
    """Retry (and finally dead-letter) only what the handler got wrong.

    A cancellation must end the task, and an unreachable database or network is not the
    event's fault: both propagate, so the run loop pauses and the event is redelivered.
    """
    return isinstance(error, Exception) and not isinstance(error, INFRASTRUCTURE_ERRORS)
