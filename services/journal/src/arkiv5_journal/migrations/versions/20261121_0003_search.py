"""Full-text search over titles and parties: PostgreSQL norwegian text search, SQLite FTS5.

On PostgreSQL the table also holds copies of the columns search filters and sorts on
(kept current by the journal when they change), so a page of hits comes from one table.
Two texts per journalpost: the public one (offentligTittel, the case's public title and
the correspondents' names that nothing screens) and the full one (titles and every name).
A caller matches the full text only where it may read the screened content.

Revision ID: journal_0003
Revises: journal_0002
Create Date: 2026-11-21
"""

from alembic import op

revision = "journal_0003"
down_revision = "journal_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TABLE journalpost_sok ("
            " journalpost_id uuid PRIMARY KEY REFERENCES journalpost (system_id),"
            " offentlig_tekst text NOT NULL,"
            " full_tekst text NOT NULL,"
            # Copies of what search filters and sorts on, so one table answers a page of hits.
            " journaldato date NOT NULL,"
            " opprettet_dato timestamptz NOT NULL,"
            " journalaar integer NOT NULL,"
            " journalstatus varchar(2) NOT NULL,"
            " journalposttype varchar(2) NOT NULL,"
            " administrativ_enhet_id uuid NOT NULL,"
            " saksbehandler_id uuid,"
            " offentlig_tsv tsvector GENERATED ALWAYS AS (to_tsvector('norwegian', offentlig_tekst)) STORED,"
            " full_tsv tsvector GENERATED ALWAYS AS (to_tsvector('norwegian', full_tekst)) STORED)"
        )
        op.execute("CREATE INDEX ix_journalpost_sok_offentlig ON journalpost_sok USING gin (offentlig_tsv)")
        op.execute("CREATE INDEX ix_journalpost_sok_full ON journalpost_sok USING gin (full_tsv)")
        op.execute("CREATE INDEX ix_journalpost_sok_dato ON journalpost_sok (journaldato DESC, opprettet_dato DESC)")
    else:
        # unicode61 folds case for æ, ø, å and keeps them distinct from a, o (remove_diacritics 0).
        op.execute(
            "CREATE VIRTUAL TABLE journalpost_sok USING fts5("
            "journalpost_id UNINDEXED, offentlig_tekst, full_tekst, tokenize = 'unicode61 remove_diacritics 0')"
        )


def downgrade() -> None:
    op.execute("DROP TABLE journalpost_sok")
