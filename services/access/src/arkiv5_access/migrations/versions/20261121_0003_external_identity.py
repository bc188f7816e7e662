"""Federated sign-in: a person's identity at a trusted issuer, linked to a federated account.

Revision ID: access_0003
Revises: access_0002
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "access_0003"
down_revision = "access_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "external_identity",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("issuer", sa.String(length=500), nullable=False),
        sa.Column("subject", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("linked_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("account_id"),
        sa.UniqueConstraint("issuer", "subject"),
    )


def downgrade() -> None:
    op.drop_table("external_identity")
