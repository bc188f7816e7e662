"""Group commit: small units of work from many concurrent letters share one transaction.

Every letter needs its own committed transitions (SENDING must be committed before its
HTTP call; ACCEPTED with its outbox event after it), but a transaction per transition
costs a pool checkout, a ping, BEGIN and COMMIT — most of the work for a one-row update.
Letters in flight therefore hand their unit of work to `GroupCommit.run` and wait for it;
whatever has queued up while the previous batch was committing goes into the next
transaction. Each caller still gets its own result only after *its* work is committed,
so no guarantee changes: a caller that was told "committed" really is.

Events the units publish (through `GroupCommit.outbox`) are collected and written to the
outbox with one multi-row INSERT in the same transaction, just before it commits.

A unit of work must be safe to run again in a fresh transaction (conditional updates and
outbox inserts are): when a batch fails, each unit is retried alone, so one bad unit
cannot fail the others, and each caller gets its own exception.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.envelope import EventData
from arkiv5_kit.db import Database
from arkiv5_kit.outbox import Outbox

log = logging.getLogger(__name__)

T = TypeVar("T")
Work = Callable[[AsyncSession], Awaitable[Any]]
_DEFERRED = "arkiv5_svarut_gateway.deferred_events"


class DeferredOutbox:
    """`Outbox.add` for units of a group commit: the event joins the transaction's batch insert.

    Outside a group commit's transaction it is the plain outbox, so no event can be dropped.
    """

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def add(self, session: AsyncSession, data: EventData) -> None:
        pending = session.info.get(_DEFERRED)
        if pending is None:
            await self._outbox.add(session, data)
        else:
            pending.append(data)


class GroupCommit:
    def __init__(self, database: Database, outbox: Outbox, *, max_batch: int = 500) -> None:
        self.database = database
        self._outbox = outbox
        self.outbox = DeferredOutbox(outbox)
        self.max_batch = max_batch
        self._queue: list[tuple[Work, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.transactions = 0  # for tests and benchmarks: how many commits the units shared

    async def run(self, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
        """Run `work(session)` in a transaction shared with other callers; return once committed."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.append((work, future))
        if self._flusher is None or self._flusher.done():
            # Its own task: a caller that is cancelled must not cancel the others' commit.
            self._flusher = asyncio.create_task(self._flush(), name="svarut-group-commit")
        return await future

    async def _flush(self) -> None:
        batch: list[tuple[Work, asyncio.Future[Any]]] = []
        try:
            await asyncio.sleep(0)  # let the tasks that are ready queue their work too
            while self._queue:
                batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
                # A caller cancelled before its work started gets nothing done: simplest to reason about.
                batch = [(work, future) for work, future in batch if not future.done()]
                if batch:
                    await self._commit(batch)
                batch = []
        except BaseException as exc:
            # Cancelled (loop shutting down): nobody may wait forever for a commit that won't come.
            for _, future in batch + self._queue:
                if not future.done():
                    future.set_exception(exc if isinstance(exc, Exception) else ConnectionError("commit cancelled"))
            self._queue = []
            raise

    async def _commit(self, batch: list[tuple[Work, asyncio.Future[Any]]]) -> None:
        try:
            results = await self._transaction([work for work, _ in batch])
        except Exception as exc:
            if len(batch) == 1:
                _settle(batch[0][1], exception=exc)
                return
            log.warning("group commit failed; committing its units one by one",
                        extra={"error_type": type(exc).__name__, "units": len(batch)})
            for work, future in batch:
                try:
                    [result] = await self._transaction([work])
                except Exception as single:
                    _settle(future, exception=single)
                else:
                    _settle(future, result=result)
            return
        for (_, future), result in zip(batch, results, strict=True):
            _settle(future, result=result)


    async def _transaction(self, units: list[Work]) -> list[Any]:
        async with self.database.unit_of_work() as session:
            events: list[EventData] = []
            session.info[_DEFERRED] = events
            results = [await work(session) for work in units]
            del session.info[_DEFERRED]
            await self._outbox.add_many(session, events)
        self.transactions += 1
        return results


def _settle(future: asyncio.Future[Any], *, result: Any = None, exception: Exception | None = None) -> None:
    if future.done():  # the caller was cancelled meanwhile; its work is committed all the same
        return
    if exception is not None:
        future.set_exception(exception)
    else:
        future.set_result(result)
