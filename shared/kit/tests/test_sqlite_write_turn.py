"""SQLite's one writer: every writing transaction of an engine takes its turn, and only while it writes."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text

from arkiv5_kit.db import Database, read_connection


@pytest.fixture
async def database(tmp_path: Path):  # type: ignore[no-untyped-def]
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/turn.sqlite")
    async with database.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE entry (n INTEGER NOT NULL, source TEXT NOT NULL)"))
    try:
        yield database
    finally:
        await database.dispose()


async def _entries(database: Database) -> list[tuple[int, str]]:
    async with read_connection(database.engine) as connection:
        return [(row.n, row.source) for row in await connection.execute(text("SELECT n, source FROM entry ORDER BY n"))]


async def test_a_unit_of_work_holds_the_turn_only_from_its_first_statement_to_its_commit(database: Database) -> None:
    opened = asyncio.Event()
    release = asyncio.Event()

    async def slow_request() -> None:
        async with database.unit_of_work() as session:
            opened.set()
            await release.wait()  # parsing a body, writing a file: no statement yet
            await session.execute(text("INSERT INTO entry VALUES (2, 'slow')"))

    slow = asyncio.create_task(slow_request())
    await opened.wait()
    # Another writer does not wait for a unit of work that has not begun its transaction.
    async with asyncio.timeout(10), database.unit_of_work() as session:
        await session.execute(text("INSERT INTO entry VALUES (1, 'quick')"))
    release.set()
    await slow
    # And the same task can write again at once: the turn was handed on at the commit.
    async with database.engine.begin() as connection:
        await connection.execute(text("INSERT INTO entry VALUES (3, 'again')"))
    assert await _entries(database) == [(1, "quick"), (2, "slow"), (3, "again")]


async def test_writers_of_every_kind_queue_for_the_turn_instead_of_failing(database: Database) -> None:
    async def through_unit_of_work(n: int) -> None:
        async with database.unit_of_work() as session:
            current = (await session.execute(text("SELECT count(*) FROM entry"))).scalar_one()
            await asyncio.sleep(0)  # let the others try to write in between
            await session.execute(text("INSERT INTO entry VALUES (:n, 'unit')"), {"n": current + 1})

    async def through_engine(n: int) -> None:  # what the outbox relay and the bus do
        async with database.engine.begin() as connection:
            current = (await connection.execute(text("SELECT count(*) FROM entry"))).scalar_one()
            await asyncio.sleep(0)
            await connection.execute(text("INSERT INTO entry VALUES (:n, 'engine')"), {"n": current + 1})

    await asyncio.gather(*(through_unit_of_work(n) if n % 2 else through_engine(n) for n in range(40)))
    # Each writer read the count and wrote the next number inside its turn: no two took the same.
    assert [n for n, _source in await _entries(database)] == list(range(1, 41))
    assert {source for _n, source in await _entries(database)} == {"unit", "engine"}


async def test_a_failed_transaction_hands_the_turn_on(database: Database) -> None:
    with pytest.raises(RuntimeError):
        async with database.unit_of_work() as session:
            await session.execute(text("INSERT INTO entry VALUES (1, 'rolled back')"))
            raise RuntimeError("the request failed")
    with pytest.raises(RuntimeError):
        async with database.engine.begin() as connection:
            await connection.execute(text("INSERT INTO entry VALUES (1, 'rolled back')"))
            raise RuntimeError("the relay failed")
    async with asyncio.timeout(10):  # a turn never handed on would hang here
        async with database.unit_of_work() as session:
            await session.execute(text("INSERT INTO entry VALUES (1, 'kept')"))
    assert await _entries(database) == [(1, "kept")]


async def test_readers_do_not_wait_for_the_writer(database: Database) -> None:
    async with database.unit_of_work() as session:
        await session.execute(text("INSERT INTO entry VALUES (1, 'uncommitted')"))
        async with asyncio.timeout(10):
            assert await _entries(database) == []  # WAL: the reader sees the last commit at once
    assert await _entries(database) == [(1, "uncommitted")]
