"""The forsendelse table: one row per letter and recipient, with its state machine.

Revision ID: svarut_gateway_0002
Revises: svarut_gateway_0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = "svarut_gateway_0002"
down_revision = "svarut_gateway_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "forsendelse",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("dispatch_id", sa.Uuid(), nullable=False),
        sa.Column("journalpost_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("dokumentobjekt_ids", sa.JSON(), nullable=False),
        sa.Column("ekstern_ref", sa.String(100), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("channel", sa.String(20), nullable=True),
        sa.Column("svarut_id", sa.Uuid(), nullable=True),
        sa.Column("svarut_status", sa.String(40), nullable=True),
        sa.Column("send_attempts", sa.Integer(), nullable=False),
        sa.Column("lookups", sa.Integer(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("send_started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("uncertain_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("status_changed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(300), nullable=True),
        sa.Column("reason_code", sa.String(60), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("dispatch_id", "recipient_id", name="uq_forsendelse_dispatch_recipient"),
    )
    op.create_index("ix_forsendelse_state_due", "forsendelse", ["state", "due_at"])
    op.create_index("ix_forsendelse_ekstern_ref", "forsendelse", ["ekstern_ref"])


def downgrade() -> None:
    op.drop_index("ix_forsendelse_ekstern_ref", table_name="forsendelse")
    op.drop_index("ix_forsendelse_state_due", table_name="forsendelse")
    op.drop_table("forsendelse")
