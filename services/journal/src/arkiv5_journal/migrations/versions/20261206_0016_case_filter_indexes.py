"""Indexes for the Noark 5 case list's common filters: a saksdato range (and `year(saksdato)`), and a mappeID.

PostgreSQL only (on SQLite the lists of a municipality's journal stay small, as for
journal_0014). Measured with EXPLAIN ANALYZE over 100,000 cases (the case count of the
1,000,000-journalpost bench archive): `$orderby=saksdato desc` with `saksdato ge 2019-03-01`
sorted 40,000 cases (30.8 ms; 0.03 ms reading the saksdato index backwards, the case number
after the date for the list's tie-break), and `mappeID eq '2018/17'` read the whole table
(7.6 ms; 0.015 ms). A saksdato range in the list's own order (newest case number first) is
still answered by the case number index, the dates filtered on the way (6.9 ms for a
month of 2019, 7.6 ms for `year(saksdato) eq 2017`: cases are numbered in date order, so
the walk stops within the years before the range).

Revision ID: journal_0016
Revises: journal_0015
Create Date: 2026-12-06
"""

from alembic import op

revision = "journal_0016"
down_revision = "journal_0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_saksmappe_saksdato_nummer ON saksmappe (saksdato, saksaar, sakssekvensnummer)")
    op.execute("CREATE INDEX ix_saksmappe_mappe_id ON saksmappe (mappe_id)")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_saksmappe_mappe_id")
    op.execute("DROP INDEX ix_saksmappe_saksdato_nummer")
