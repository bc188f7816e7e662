"""A version counter on saksmappe and journalpost: the ETag is the version, not a digest of the columns.

A digest of every column, the real title included, let a reader without clearance confirm
a guessed screened title offline; a counter says nothing about the content.

Revision ID: journal_0009
Revises: journal_0008
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "journal_0009"
down_revision = "journal_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("saksmappe", "journalpost"):
        op.add_column(table, sa.Column("versjon", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in ("journalpost", "saksmappe"):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("versjon")
