"""Disabled accounts (AccountDisabled), so a disabled account's token is refused here too.

Revision ID: conversion_0005
Revises: conversion_0004
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "conversion_0005"
down_revision = "conversion_0004"
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
