"""The journal's models and its migrations describe the same schema, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from arkiv5_journal.app import MIGRATIONS_DIR
from arkiv5_journal.models import migration_metadata
from arkiv5_kit.db import Database
from arkiv5_kit.migrations import upgrade

# Written by hand in the migrations, for PostgreSQL only: the search table's full-text
# columns and indexes (journal_0003), the partial index the commit-time numbering trigger
# reads (journal_0006) and the large lists' indexes (journal_0014, journal_0016). Everything
# else must match exactly.
HAND_WRITTEN = ("journalpost_sok", "ix_outbox_unpublished_key", "ix_journalpost_aar_av_dato",
                "ix_saksmappe_klasse_nummer", "ix_saksmappe_arkivdel_nummer",
                "ix_saksmappe_saksdato_nummer", "ix_saksmappe_mappe_id")


def _differences(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [diff for diff in compare_metadata(context, migration_metadata)
            if not any(name in repr(diff) for name in HAND_WRITTEN)]


async def test_the_models_match_the_migrations(db_backend: Any) -> None:
    database = Database(db_backend.url)
    try:
        await upgrade(database, MIGRATIONS_DIR)
        async with database.engine.connect() as connection:
            differences = await connection.run_sync(_differences)
    finally:
        await database.dispose()
    assert differences == [], "\n".join(repr(d) for d in differences)
