"""Conversion jobs, journalposts that reached J, nightly batches.

Revision ID: conversion_0002
Revises: conversion_0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "conversion_0002"
down_revision = "conversion_0001"
branch_labels = None
depends_on = None


def _ts(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "conversion_journalpost",
        sa.Column("journalpost_id", sa.Uuid(), primary_key=True),
        sa.Column("saksmappe_id", sa.Uuid(), nullable=True),
        sa.Column("reached_j_date", sa.Date(), nullable=False),
        _ts("reached_j_at", False),
        _ts("queued_at"),
    )
    op.create_index("ix_conversion_journalpost_reached_j_date", "conversion_journalpost", ["reached_j_date"])
    op.create_table(
        "conversion_job",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dokumentobjekt_id", sa.Uuid(), nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("journalpost_id", sa.Uuid(), nullable=True),
        sa.Column("saksmappe_id", sa.Uuid(), nullable=True),
        sa.Column("parent_job_id", sa.Uuid(), nullable=True),
        sa.Column("trigger", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("claim", sa.Uuid(), nullable=True),
        _ts("lease_until"),
        _ts("not_before"),
        sa.Column("format", sa.String(40), nullable=True),
        sa.Column("source_puid", sa.String(40), nullable=True),
        sa.Column("source_media_type", sa.String(255), nullable=True),
        sa.Column("archival_dokumentobjekt_id", sa.Uuid(), nullable=True),
        sa.Column("archival_puid", sa.String(40), nullable=True),
        sa.Column("archival_media_type", sa.String(255), nullable=True),
        sa.Column("kept", sa.Boolean(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("pages", sa.Integer(), nullable=True),
        sa.Column("reason_code", sa.String(60), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        _ts("created_at", False),
        _ts("started_at"),
        _ts("finished_at"),
        sa.UniqueConstraint("dokumentobjekt_id", "source_sha256", name="uq_conversion_job_source"),
    )
    op.create_index("ix_conversion_job_dokumentobjekt_id", "conversion_job", ["dokumentobjekt_id"])
    op.create_index("ix_conversion_job_journalpost_id", "conversion_job", ["journalpost_id"])
    op.create_index("ix_conversion_job_status", "conversion_job", ["status"])
    op.create_table(
        "conversion_batch",
        sa.Column("j_date", sa.Date(), primary_key=True),
        sa.Column("status", sa.String(20), nullable=False),
        _ts("started_at", False),
        _ts("finished_at"),
        sa.Column("runs", sa.Integer(), nullable=False, server_default="1"),
    )


def downgrade() -> None:
    op.drop_table("conversion_batch")
    op.drop_table("conversion_job")
    op.drop_table("conversion_journalpost")
