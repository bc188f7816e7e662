"""The access service's models and its migrations describe the same schema (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from arkiv5_access.app import MIGRATIONS_DIR
from arkiv5_access.models import migration_metadata
from arkiv5_kit.db import Database
from arkiv5_kit.migrations import schema_differences


async def test_the_models_match_the_migrations(db_backend: Any) -> None:
    database = Database(db_backend.url)
    try:
        differences = await schema_differences(database, MIGRATIONS_DIR, migration_metadata)
    finally:
        await database.dispose()
    assert differences == [], "models and migrations differ: write a migration (make migration SERVICE=access ...)"


async def test_a_table_without_a_migration_is_found(tmp_path: Any) -> None:
    from sqlalchemy import Column, Integer, MetaData, Table

    unmigrated = MetaData()
    Table("not_migrated", unmigrated, Column("id", Integer, primary_key=True))
    database = Database(f"sqlite+aiosqlite:///{tmp_path}/access.sqlite")
    try:
        differences = await schema_differences(database, MIGRATIONS_DIR, [*migration_metadata, unmigrated])
    finally:
        await database.dispose()
    assert [(d[0], d[1].name) for d in differences] == [("add_table", "not_migrated")]
