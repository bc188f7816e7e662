"""The idempotency key of a document filed by another service (an e-mail's attachment).

Revision ID: journal_0004
Revises: journal_0003
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "journal_0004"
down_revision = "journal_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("dokumentbeskrivelse") as batch:
        batch.add_column(sa.Column("kilde_noekkel", sa.String(length=200), nullable=True))
        batch.create_unique_constraint("uq_dokumentbeskrivelse_kilde", ["kilde_noekkel"])


def downgrade() -> None:
    with op.batch_alter_table("dokumentbeskrivelse") as batch:
        batch.drop_constraint("uq_dokumentbeskrivelse_kilde", type_="unique")
        batch.drop_column("kilde_noekkel")
