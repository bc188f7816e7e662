"""Database engine and the unit of work, the same on SQLite (embedded) and PostgreSQL.

One transaction per request or consumed event: services `flush()` when they need ids and
never commit; the boundary (`unit_of_work`) commits once, and after a commit that added
outbox rows it wakes the relay so events leave at once instead of at the next poll.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from . import sqlite_inline

OUTBOX_DIRTY = "arkiv5.outbox_dirty"
POST_COMMIT = "arkiv5.post_commit"
READ_ONLY = "arkiv5_read_only"
# How long an inline SQLite writer keeps retrying a BEGIN IMMEDIATE that another connection
# refused — the busy timeout the threaded connections have.
SQLITE_BUSY_WAIT_S = 30.0


def create_engine(url: str, *, pool_size: int = 10, inline: bool = False) -> AsyncEngine:
    """The service's engine; on SQLite `inline` makes one whose calls run on the event loop's thread."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        connect_args: dict[str, object] = {"timeout": 30}
        if inline:
            connect_args["async_creator_fn"] = sqlite_inline.connect
        engine = create_async_engine(url, connect_args=connect_args)
        _configure_sqlite(engine, busy_timeout_ms=0 if inline else int(SQLITE_BUSY_WAIT_S * 1000))
        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _drop_closed_connections(engine)
    return engine


def _drop_closed_connections(engine: AsyncEngine) -> None:
    """Never hand out a pooled connection the server has closed (a restart, a failover).

    asyncpg notices the server closing an idle connection (the event loop reads the end of
    the stream), so checking at checkout costs nothing, where `pool_pre_ping` would spend a
    round trip on every transaction. The pool replaces a connection refused here. A
    connection lost without the server closing it (a cut network) surfaces on its first
    statement, and the disconnect invalidates the whole pool.
    """

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection, _record, _proxy):  # type: ignore[no-untyped-def]
        if dbapi_connection.driver_connection.is_closed():
            raise DisconnectionError("the server closed this pooled connection")


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    """WAL for concurrent readers, and BEGIN IMMEDIATE so writers queue instead of failing.

    SQLite's default deferred transactions upgrade to a write lock lazily and fail with
    'database is locked' when two writers meet; taking the lock at BEGIN serialises them,
    which is also what gapless numbering needs.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        dbapi_connection.isolation_level = None  # let us issue BEGIN ourselves
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={busy_timeout_ms}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection):  # type: ignore[no-untyped-def]
        # A reader in WAL mode neither blocks nor waits for the writer: keep it deferred.
        read_only = connection.get_execution_options().get(READ_ONLY, False)
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")


def after_commit(session: AsyncSession, hook: Callable[[], Awaitable[None]]) -> None:
    """Run `hook` once the unit of work that owns `session` has committed (never after a rollback).

    For what only the commit gives — on PostgreSQL the journal number is taken inside the
    COMMIT — so a use case finishes its own result and the entry point never needs to know
    the database dialect. Hooks run in the order they were added.
    """
    session.info.setdefault(POST_COMMIT, []).append(hook)


@asynccontextmanager
async def read_connection(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reading only: on SQLite it does not queue behind writers."""
    async with engine.connect() as connection:
        yield await connection.execution_options(**{READ_ONLY: True})


class Database:
    """The engine, its session factory and the unit-of-work boundary of one service."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self.sessions = async_sessionmaker(self.engine, class_=AsyncSession, expire_on_commit=False)
        self._commit_listeners: list[Callable[[], None]] = []
        self._sqlite_writer = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None
        # On a SQLite file the units of work write through connections that run inline
        # (sqlite_inline.py); reads and everything else keep aiosqlite's threads.
        self._write_engine: AsyncEngine | None = None
        self._write_sessions = self.sessions
        database = make_url(url).database
        if self._sqlite_writer is not None and database and database != ":memory:":
            self._write_engine = create_engine(url, inline=True)
            self._write_sessions = async_sessionmaker(self._write_engine, class_=AsyncSession, expire_on_commit=False)

    @property
    def is_postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def on_outbox_commit(self, listener: Callable[[], None]) -> None:
        """Call `listener` after every commit that wrote to the outbox (wakes the relay)."""
        self._commit_listeners.append(listener)

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One transaction: commit when the block ends normally, roll back on any error.

        After the commit it runs the session's `after_commit` hooks, then wakes the relay;
        both run after the SQLite write turn is handed on, so a hook may open a unit of work.
        """
        async with self._write_sessions() as session:
            async with self._write_turn():
                if self._write_engine is not None:
                    await _begin_inline(session)
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    session.info.pop(POST_COMMIT, None)
                    await session.rollback()
                    raise
            for hook in session.info.pop(POST_COMMIT, []):
                await hook()
            if session.info.pop(OUTBOX_DIRTY, False):
                for listener in self._commit_listeners:
                    listener()

    @asynccontextmanager
    async def _write_turn(self) -> AsyncIterator[None]:
        """On SQLite, writers of this process take their turn in a FIFO queue before BEGIN.

        SQLite has one writer at a time. Left to its busy handler, a waiting writer sleeps in
        growing steps (up to 100 ms) and retries, so under 8 clients some registrations waited
        seconds while the lock sat free (p99 2.7 s); a fair in-process queue hands the lock on
        at once (p99 0.6 s in the same run). Other processes still meet the busy timeout.
        """
        if self._sqlite_writer is None:
            yield
            return
        async with self._sqlite_writer:
            yield

    async def ping(self) -> None:
        async with read_connection(self.engine) as connection:
            await asyncio.wait_for(connection.execute(text("SELECT 1")), timeout=5)

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self._write_engine is not None:
            await self._write_engine.dispose()


async def _begin_inline(session: AsyncSession) -> None:
    """BEGIN IMMEDIATE on an inline SQLite connection, retried while another connection writes.

    The inline connection's busy timeout is zero (it must not block the event loop), so a
    writer of another process — or one of this process on a threaded connection — makes the
    BEGIN fail at once; it is tried again after a short sleep until `SQLITE_BUSY_WAIT_S`.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + SQLITE_BUSY_WAIT_S
    delay = 0.001
    while True:
        try:
            await session.connection()
            return
        except OperationalError as error:
            if "database is locked" not in str(error.orig) or loop.time() >= deadline:
                raise
            await session.rollback()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 0.05)
