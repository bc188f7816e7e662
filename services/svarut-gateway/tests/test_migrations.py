"""The svarut-gateway service's models and its migrations describe the same schema (SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any

from arkiv5_kit.db import Database
from arkiv5_kit.migrations import schema_differences
from arkiv5_svarut_gateway.app import MIGRATIONS_DIR
from arkiv5_svarut_gateway.models import migration_metadata


async def test_the_models_match_the_migrations(db_backend: Any) -> None:
    database = Database(db_backend.url)
    try:
        differences = await schema_differences(database, MIGRATIONS_DIR, migration_metadata)
    finally:
        await database.dispose()
    assert differences == [], "models and migrations differ: write a migration (make migration SERVICE=svarut-gateway ...)"
