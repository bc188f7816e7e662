"""The idempotent consumer: one event, one transaction, one effect — or a dead letter.

For each record: decode the CloudEvent; in one database transaction skip it if the inbox
has its id, else run the handler and record the id; commit; only then commit the offset.
A failing handler is retried with exponential backoff (tenacity); when the attempts are
spent the record goes to `<topic>.dlt` with the error and its origin in headers, and the
consumer goes on with the next one. A record that cannot be decoded at all goes there
directly. Nothing is dropped silently.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

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
from .metrics import CONSUMER_LAG, EVENTS_CONSUMED, EVENTS_DEAD_LETTERED, EVENTS_RETRIED
from .transport.base import IncomingRecord, OutgoingMessage, Subscriber, Transport

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, Envelope[Any]], Awaitable[None]]

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
        handlers: Mapping[type[EventData], Handler],
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
        self.handlers = {model.event_type: handler for model, handler in handlers.items()}
        self.topics = sorted({model.topic for model in handlers})
        self.batch_size = batch_size
        self.max_attempts = max_attempts
        self.retry_initial_s = retry_initial_s
        self.retry_max_s = retry_max_s
        self.fetch_timeout_s = fetch_timeout_s
        self.subscriber: Subscriber = transport.subscriber(self.group, self.topics)
        self._stopping = asyncio.Event()
        self._next_lag_update = 0.0

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Until stopped. A batch in progress is finished and committed before returning."""
        await self._start_subscriber()
        try:
            while not self._stopping.is_set():
                try:
                    records = await self.subscriber.fetch(self.batch_size, self.fetch_timeout_s)
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
                    await asyncio.sleep(self.retry_max_s)
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
                await asyncio.sleep(delay)
                delay = min(self.retry_max_s, delay * 2)

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
        handler = self.handlers.get(envelope.type)
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

    async def _handle_once(self, envelope: Envelope[Any], handler: Handler) -> str:
        correlation_token = correlation_id_var.set(envelope.correlationid)
        causation_token = causation_id_var.set(envelope.id)
        try:
            async with self.database.unit_of_work() as session:
                if await inbox.seen(session, self.group, envelope.id):
                    return "duplicate"
                await handler(session, envelope)
                await inbox.record(session, self.group, envelope.id, envelope.type)
            return "processed"
        finally:
            causation_id_var.reset(causation_token)
            correlation_id_var.reset(correlation_token)

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
