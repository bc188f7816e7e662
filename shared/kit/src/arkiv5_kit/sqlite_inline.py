"""An aiosqlite connection that runs each SQLite call on the event loop's own thread.

aiosqlite gives every connection a worker thread and hands each call to it: a cursor, an
execute, a fetch and a close are four trips there and back, each waiting for the other
thread to be scheduled. One journal registration makes about 65 of them. On an idle machine
a trip costs microseconds; on a busy one each wake-up waits for a core, and the SQLite write
lock is held across all of a transaction's trips, so the one writer's turn stretches from
milliseconds to tens of them and every other writer queues behind it (8 clients on the
embedded default: the suite's main thread 41 % busy while registrations waited).

A write transaction is short — a few statements on one small database, no fsync at COMMIT in
WAL mode with `synchronous=NORMAL` — so `Database.unit_of_work` runs it here, inline, and
keeps aiosqlite's threads for reads, which may be long and run beside the writer. An inline
call must never wait for a lock (the loop it would block is the one that finishes the holder's
transaction), so these connections get a zero busy timeout and the unit of work retries a
refused `BEGIN IMMEDIATE` with an asynchronous sleep.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class _InlineQueue:
    """Stands in for aiosqlite's queue to its worker thread: runs what is put there at once.

    SQLAlchemy's dialect puts some calls (setting the isolation level) on that queue itself.
    """

    def put_nowait(self, item: tuple[asyncio.Future[Any] | None, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to whoever awaits the call, as the thread does
            if future is not None:
                future.set_exception(error)
            return
        if future is not None:
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    """aiosqlite's interface (what SQLAlchemy's aiosqlite dialect drives), with no worker thread."""

    def __init__(self, connector: Callable[[], sqlite3.Connection], iter_chunk_size: int) -> None:
        super().__init__(connector, iter_chunk_size)
        self._tx = _InlineQueue()  # type: ignore[assignment]

    async def _connect(self) -> InlineConnection:
        if self._connection is None:
            self._connection = self._connector()
        return self

    def __await__(self) -> Any:  # aiosqlite's version starts the worker thread first
        return self._connect().__await__()

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def stop(self) -> None:
        self._running = False
        if self._connection is not None:
            self._connection.close()
            self._connection = None


def connect(database: str, **kwargs: Any) -> InlineConnection:
    """`aiosqlite.connect`'s signature, as SQLAlchemy's `async_creator_fn` receives it."""
    # The pool may close a connection from another thread (a garbage-collected checkout), as
    # aiosqlite's own connections are used from their worker thread.
    kwargs.setdefault("check_same_thread", False)
    return InlineConnection(lambda: sqlite3.connect(database, **kwargs), iter_chunk_size=64)
