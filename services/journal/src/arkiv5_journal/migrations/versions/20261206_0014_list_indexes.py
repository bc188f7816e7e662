"""Indexes for the Noark 5 lists over a large journal: a year's journalposts and a klasse's or arkivdel's cases in list order.

PostgreSQL only (on SQLite the lists of a municipality's journal stay small, as for
journal_0005). Measured with bench/bench_noark5_search.py over 1,000,000 journalposts:

- `year(journaldato) eq 2019` with the list's order (newest journal number first) walked the
  journal number index from the newest journalpost until it had a page of 2019's, about
  600,000 rows (over 300 ms); with the year as the index's first key, PostgreSQL reads the
  page from ix_journalpost_aar_av_dato directly. The expression is the one the filter
  writes (repository._FILTERABLE["journaldato_year"]): EXTRACT(year FROM journaldato).
- A klasse's cases (`klasse/{id}/mappe/`) had no index on klasse_id at all: a klasse with
  few cases walked every case; an arkivdel's cases had one on arkivdel_id alone, so a
  small arkivdel's page was sorted or walked the same way. Both now have the list's order
  after the key.

Revision ID: journal_0014
Revises: journal_0013
Create Date: 2026-12-06
"""

from alembic import op

revision = "journal_0014"
down_revision = "journal_0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_journalpost_aar_av_dato ON journalpost"
               " ((EXTRACT(year FROM journaldato)), journalaar, journalsekvensnummer)")
    op.execute("CREATE INDEX ix_saksmappe_klasse_nummer ON saksmappe (klasse_id, saksaar, sakssekvensnummer)")
    op.execute("CREATE INDEX ix_saksmappe_arkivdel_nummer ON saksmappe (arkivdel_id, saksaar, sakssekvensnummer)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_saksmappe_arkivdel_nummer")
    op.execute("DROP INDEX ix_saksmappe_klasse_nummer")
    op.execute("DROP INDEX ix_journalpost_aar_av_dato")
