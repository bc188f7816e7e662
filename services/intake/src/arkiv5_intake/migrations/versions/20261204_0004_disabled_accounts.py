"""Disabled accounts (AccountDisabled), so a disabled account's token is refused here too.

Revision ID: intake_0004
Revises: intake_0003
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0004"
down_revision = "intake_0003"
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
