"""Search: drop the GIN index on the public text, which no query uses.

PostgreSQL only. Searches select hits by the full text (`full_tsv`) and only compute, per
hit, whether the public text matches too (see search.py), so the index on `offentlig_tsv`
was never read, while every registration paid for an insert into it.

Revision ID: journal_0007
Revises: journal_0006
Create Date: 2026-11-21
"""

from alembic import op

revision = "journal_0007"
down_revision = "journal_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX ix_journalpost_sok_offentlig")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE INDEX ix_journalpost_sok_offentlig ON journalpost_sok USING gin (offentlig_tsv)")
