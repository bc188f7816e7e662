"""The production documents the journal's DokumentAdded events told: jobs are made from them.

Revision ID: conversion_0004
Revises: conversion_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "conversion_0004"
down_revision = "conversion_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conversion_dokument",
        sa.Column("dokumentobjekt_id", sa.Uuid(), primary_key=True),
        sa.Column("journalpost_id", sa.Uuid(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(length=255), nullable=False),
        sa.Column("added_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_conversion_dokument_journalpost_id", "conversion_dokument", ["journalpost_id"])
    op.create_index("ix_conversion_dokument_added_at", "conversion_dokument", ["added_at"])


def downgrade() -> None:
    op.drop_index("ix_conversion_dokument_added_at", table_name="conversion_dokument")
    op.drop_index("ix_conversion_dokument_journalpost_id", table_name="conversion_dokument")
    op.drop_table("conversion_dokument")
