"""The conversion service's models and its migrations describe the same schema (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from arkiv5_conversion.app import MIGRATIONS_DIR
from arkiv5_conversion.models import migration_metadata
from arkiv5_kit.db import Database
from arkiv5_kit.migrations import schema_differences


async def test_the_models_match_the_migrations(db_backend: Any) -> None:
    database = Database(db_backend.url)
    try:
        differences = await schema_differences(database, MIGRATIONS_DIR, migration_metadata)
    finally:
        await database.dispose()
    assert differences == [], "models and migrations differ: write a migration (make migration SERVICE=conversion ...)"
