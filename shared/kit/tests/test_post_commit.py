"""A unit of work runs its after-commit hooks once the commit has happened, and never after a rollback."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text

from arkiv5_kit.db import Database, after_commit


async def test_hooks_run_after_the_commit_and_see_its_effect(db_backend: Any) -> None:
    database = Database(db_backend.url)
    seen: list[Any] = []
    try:
        async with database.unit_of_work() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
        async with database.unit_of_work() as session:
            await session.execute(text("INSERT INTO t VALUES (1)"))

            async def read_committed() -> None:
                # A fresh connection sees only what is committed.
                async with database.engine.connect() as connection:
                    seen.append((await connection.execute(text("SELECT count(*) FROM t"))).scalar_one())

            after_commit(session, read_committed)
            assert seen == []
        assert seen == [1]

        with pytest.raises(RuntimeError):
            async with database.unit_of_work() as session:
                await session.execute(text("INSERT INTO t VALUES (2)"))
                after_commit(session, read_committed)
                raise RuntimeError("refused")
        async with database.unit_of_work() as session:
            assert (await session.execute(text("SELECT count(*) FROM t"))).scalar_one() == 1
        assert seen == [1]
    finally:
        await database.dispose()
