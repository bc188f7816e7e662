"""Operator tasks: unit history, local passwords (one-time, lock-out), a client's second
secret, retiring a signing key.

Revision ID: access_0004_operator
Revises: access_0003
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "access_0004_operator"
down_revision = "access_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unit_change",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("unit_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("change", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("changed_by", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["unit_id"], ["unit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("unit_id", "version"),
    )
    op.create_index(op.f("ix_unit_change_unit_id"), "unit_change", ["unit_id"], unique=False)
    with op.batch_alter_table("account") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("locked_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("next_secret_hash", sa.String(length=500), nullable=True))
    with op.batch_alter_table("signing_key") as batch:
        batch.add_column(sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signing_key") as batch:
        batch.drop_column("retired_at")
    with op.batch_alter_table("account") as batch:
        batch.drop_column("next_secret_hash")
        batch.drop_column("locked_at")
        batch.drop_column("failed_logins")
        batch.drop_column("must_change_password")
    op.drop_index(op.f("ix_unit_change_unit_id"), table_name="unit_change")
    op.drop_table("unit_change")
