"""The unit of work on PostgreSQL survives the server closing pooled connections."""

from __future__ import annotations

import asyncio

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from arkiv5_kit.db import Database

pytestmark = pytest.mark.postgres


async def _terminate_other_backends(url: str) -> int:
    """What a server restart or a failover does to the pool: every connection closed by the server."""
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        return len(await admin.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"))
    finally:
        await admin.close()


async def test_connections_closed_by_the_server_are_replaced_without_an_error(postgres_database: str) -> None:
    database = Database(postgres_database, pool_size=4)
    try:
        async def use() -> int:
            async with database.unit_of_work() as session:
                await asyncio.sleep(0.05)  # hold it, so the pool has to open several
                return int((await session.execute(text("SELECT 1"))).scalar_one())

        assert await asyncio.gather(*(use() for _ in range(4))) == [1, 1, 1, 1]
        assert database.engine.pool.checkedin() == 4  # type: ignore[attr-defined]
        assert await _terminate_other_backends(postgres_database) == 4
        await asyncio.sleep(0.2)  # the event loop reads the end of each stream

        # Every pooled connection is dead; each transaction still gets a live one.
        assert await asyncio.gather(*(use() for _ in range(4))) == [1, 1, 1, 1]
    finally:
        await database.dispose()
