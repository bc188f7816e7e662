"""An index for the morning report's and the failure gauge's counts: (status, finished_at).

Revision ID: conversion_0003
Revises: conversion_0002
Create Date: 2026-12-03
"""

from alembic import op

revision = "conversion_0003"
down_revision = "conversion_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_conversion_job_status_finished_at", "conversion_job", ["status", "finished_at"])


def downgrade() -> None:
    op.drop_index("ix_conversion_job_status_finished_at", table_name="conversion_job")
