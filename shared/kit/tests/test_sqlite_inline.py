"""On a SQLite file the unit of work writes inline, waits out another writer without blocking
the event loop, and reads keep aiosqlite's threads."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from arkiv5_kit.db import Database
from arkiv5_kit.sessions import read_session
from arkiv5_kit.sqlite_inline import InlineConnection


@pytest.fixture
async def database(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path / 'inline.sqlite'}")
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE t (x INTEGER)"))
    yield database
    await database.dispose()


async def _rows(database: Database) -> list[int]:
    async with read_session(database) as session:
        return [row[0] for row in await session.execute(text("SELECT x FROM t ORDER BY x"))]


async def test_a_unit_of_work_writes_through_an_inline_connection_and_reads_do_not(database: Database) -> None:
    async with database.unit_of_work() as session:
        connection = await session.connection()
        raw = await connection.get_raw_connection()
        assert isinstance(raw.driver_connection, InlineConnection)
        await session.execute(text("INSERT INTO t VALUES (1)"))
    async with read_session(database) as session:
        raw = await (await session.connection()).get_raw_connection()
        assert not isinstance(raw.driver_connection, InlineConnection)
    assert await _rows(database) == [1]


async def test_an_error_in_the_unit_of_work_leaves_nothing_written(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            await session.execute(text("INSERT INTO t VALUES (2)"))
            raise RuntimeError("the use case failed")
    assert await _rows(database) == []


async def test_the_writer_waits_for_another_connection_without_blocking_the_event_loop(
    database: Database, tmp_path: Path
) -> None:
    """Another connection (another process, as a CLI command would be) holds the write lock."""
    holder = sqlite3.connect(tmp_path / "inline.sqlite", isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    holder.execute("INSERT INTO t VALUES (10)")
    release = threading.Timer(0.5, lambda: holder.execute("COMMIT"))
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    try:
        release.start()
        async with database.unit_of_work() as session:
            await session.execute(text("INSERT INTO t VALUES (11)"))
    finally:
        ticker.cancel()
        release.join()
        holder.close()
    # The loop kept running while the writer waited its turn (a blocked loop would not tick),
    # and the writer went after the holder, so both rows are there.
    assert ticks >= 10
    assert await _rows(database) == [10, 11]
