"""Group commit: concurrent letters share transactions, yet each gets its own outcome."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from arkiv5_contracts.events.dispatch import DispatchRejected
from arkiv5_kit.db import Database
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.outbox import Outbox
from arkiv5_kit.testing import create_messaging_schema
from arkiv5_svarut_gateway.groupcommit import GroupCommit


def rejected() -> DispatchRejected:
    return DispatchRejected(dispatch_id=uuid.uuid4(), journalpost_id=uuid.uuid4(), recipient_id=uuid.uuid4(),
                            reason_code="no-valid-address", reason="no address")


async def outbox_rows(database: Database) -> int:
    async with database.engine.connect() as connection:
        return int(await connection.scalar(select(func.count()).select_from(outbox_table)) or 0)


@pytest.fixture
async def database(tmp_path: Path):  # type: ignore[no-untyped-def]
    db = Database(f"sqlite+aiosqlite:///{tmp_path}/g.sqlite")
    await create_messaging_schema(db)
    yield db
    await db.dispose()


async def test_units_queued_together_share_one_transaction_and_one_outbox_insert(database: Database) -> None:
    commits = GroupCommit(database, Outbox())

    async def unit(session, n: int) -> int:  # type: ignore[no-untyped-def]
        await commits.outbox.add(session, rejected())
        return n

    results = await asyncio.gather(*(commits.run(lambda s, n=n: unit(s, n)) for n in range(50)))
    assert results == list(range(50))  # each caller its own result
    assert await outbox_rows(database) == 50
    assert commits.transactions < 5  # not one per unit


async def test_a_failing_unit_fails_alone_and_leaves_nothing_behind(database: Database) -> None:
    commits = GroupCommit(database, Outbox())

    async def good(session) -> str:  # type: ignore[no-untyped-def]
        await commits.outbox.add(session, rejected())
        return "ok"

    async def bad(session) -> str:  # type: ignore[no-untyped-def]
        await commits.outbox.add(session, rejected())
        raise ValueError("this unit is wrong")

    outcomes = await asyncio.gather(commits.run(good), commits.run(bad), commits.run(good),
                                    return_exceptions=True)
    assert outcomes[0] == outcomes[2] == "ok"
    assert isinstance(outcomes[1], ValueError)
    assert await outbox_rows(database) == 2  # the bad unit's event was rolled back with it


async def test_outside_a_group_commit_the_deferred_outbox_writes_at_once(database: Database) -> None:
    commits = GroupCommit(database, Outbox())
    async with database.unit_of_work() as session:
        await commits.outbox.add(session, rejected())
    assert await outbox_rows(database) == 1
