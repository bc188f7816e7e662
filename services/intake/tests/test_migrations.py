"""Intake's models and its Alembic history describe the same tables."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from arkiv5_intake.app import create_app
from arkiv5_intake.models import migration_metadata
from arkiv5_intake.settings import IntakeSettings


async def test_the_models_match_the_migrations(tmp_path: Path, db_backend: Any) -> None:
    runtime = create_app(IntakeSettings(var_dir=tmp_path, environment="test", database_url=db_backend.url)).state.runtime
    await runtime.migrate()

    def differences(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, migration_metadata))

    try:
        async with runtime.database.engine.connect() as connection:
            found = await connection.run_sync(differences)
    finally:
        await runtime.database.dispose()
    assert found == []
