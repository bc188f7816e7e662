"""A version counter on the archive structure (arkiv, arkivdel, klassifikasjonssystem, klasse).

The archive's administrators now change the structure through the Noark 5 interface
(titles, statuses, the classification system of an arkivdel), so each row needs an ETag
that changes with it, counted as the saksmappe's and the journalpost's are (journal_0009).

Revision ID: journal_0017
Revises: journal_0016
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "journal_0017"
down_revision = "journal_0016"
branch_labels = None
depends_on = None

_TABLES = ("arkiv", "arkivdel", "klassifikasjonssystem", "klasse")


def upgrade() -> None:
    for table in _TABLES:
        op.add_column(table, sa.Column("versjon", sa.Integer(), server_default="1", nullable=False))


def downgrade() -> None:
    for table in reversed(_TABLES):
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_column("versjon")
