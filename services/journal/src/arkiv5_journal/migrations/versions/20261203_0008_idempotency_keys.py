"""Idempotency keys of creating requests, per calling client.

Revision ID: journal_0008
Revises: journal_0007
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "journal_0008"
down_revision = "journal_0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "idempotency_key",
        sa.Column("client", sa.String(length=255), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("resource_id", sa.Uuid(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client", "key"),
    )


def downgrade() -> None:
    op.drop_table("idempotency_key")
