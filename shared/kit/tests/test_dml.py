"""insert_ignore skips rows whose key exists and inserts the rest, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, Integer, MetaData, String, Table, UniqueConstraint, select
from sqlalchemy.dialects import postgresql, sqlite

from arkiv5_kit.db import Database
from arkiv5_kit.dml import insert_ignore

metadata = MetaData()
codes = Table(
    "codes", metadata, Column("id", Integer, primary_key=True), Column("code", String(10), nullable=False),
    Column("label", String(50)), UniqueConstraint("code", name="uq_codes_code"),
)


def test_the_statement_is_written_for_each_dialect() -> None:
    statement = insert_ignore(codes, {"id": 1, "code": "A"})
    assert str(statement.compile(dialect=postgresql.dialect())).endswith("ON CONFLICT DO NOTHING")
    assert str(statement.compile(dialect=sqlite.dialect())).startswith("INSERT OR IGNORE INTO codes")


async def test_existing_keys_are_skipped_and_new_rows_inserted(db_backend: Any) -> None:
    database = Database(db_backend.url)
    try:
        async with database.engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        async with database.unit_of_work() as session:
            await session.execute(insert_ignore(codes, {"id": 1, "code": "A", "label": "first"}))
        async with database.unit_of_work() as session:
            result = await session.execute(insert_ignore(codes, [
                {"id": 1, "code": "Z", "label": "same primary key"},
                {"id": 2, "code": "A", "label": "same unique code"},
                {"id": 3, "code": "B", "label": "new"},
            ]))
            assert result.rowcount == 1
            # Rows passed at execution (executemany) work too.
            await session.execute(insert_ignore(codes), [{"id": 3, "code": "B"}, {"id": 4, "code": "C"}])
        async with database.unit_of_work() as session:
            rows = (await session.execute(select(codes.c.id, codes.c.code, codes.c.label).order_by(codes.c.id))).all()
        assert [tuple(r) for r in rows] == [(1, "A", "first"), (3, "B", "new"), (4, "C", None)]
    finally:
        await database.dispose()
