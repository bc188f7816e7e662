"""Disabled accounts (AccountDisabled), so a disabled account's token is refused here too.

Revision ID: svarut_gateway_0004
Revises: svarut_gateway_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "svarut_gateway_0004"
down_revision = "svarut_gateway_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "disabled_account",
        sa.Column("person_id", sa.Uuid(), primary_key=True),
        sa.Column("disabled_from", sa.Date(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("disabled_account")
