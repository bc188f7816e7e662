"""Search: a covering sort index, so a page of hits for a common word is read from the index alone.

PostgreSQL only (SQLite searches with FTS5). `GET /sok` walks the newest rows in date order
and keeps those whose full text matches (see search.py); with the words' tsvector and the
filter columns in the index that walk is an index-only scan, about ten times cheaper a row
than visiting the table. It replaces the plain date index of journal_0003, and gets
journalpost_id as the last key so pages stay stable when dates tie. Index-only scans need
the visibility map, so autovacuum visits the table after 1 % new or 2 % changed rows
instead of the default 20 %. The case handler filter gets its own index for the searches
that take every hit.

Revision ID: journal_0005
Revises: journal_0004
Create Date: 2026-11-21
"""

from alembic import op

revision = "journal_0005"
down_revision = "journal_0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(
        "CREATE INDEX ix_journalpost_sok_sortering ON journalpost_sok"
        " (journaldato DESC, opprettet_dato DESC, journalpost_id DESC)"
        " INCLUDE (full_tsv, journalaar, journalstatus, journalposttype, administrativ_enhet_id, saksbehandler_id)"
    )
    op.execute("DROP INDEX ix_journalpost_sok_dato")
    op.execute("CREATE INDEX ix_journalpost_sok_saksbehandler ON journalpost_sok (saksbehandler_id)")
    op.execute(
        "ALTER TABLE journalpost_sok SET (autovacuum_vacuum_insert_scale_factor = 0.01,"
        " autovacuum_vacuum_scale_factor = 0.02)"
    )


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE journalpost_sok RESET (autovacuum_vacuum_insert_scale_factor, autovacuum_vacuum_scale_factor)")
    op.execute("DROP INDEX ix_journalpost_sok_saksbehandler")
    op.execute("CREATE INDEX ix_journalpost_sok_dato ON journalpost_sok (journaldato DESC, opprettet_dato DESC)")
    op.execute("DROP INDEX ix_journalpost_sok_sortering")
