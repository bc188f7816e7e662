"""The sporingslogg of screened reads: searched per reader and per object, newest first, and purged by age.

Revision ID: access_0005_sporing
Revises: access_0004_operator
Create Date: 2026-12-03
"""

from alembic import op

revision = "access_0005_sporing"
down_revision = "access_0004_operator"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_audit_entry_action_occurred_at", "audit_entry", ["action", "occurred_at"])
    op.create_index("ix_audit_entry_actor_occurred_at", "audit_entry", ["actor_id", "occurred_at"])


def downgrade() -> None:
    op.drop_index("ix_audit_entry_actor_occurred_at", table_name="audit_entry")
    op.drop_index("ix_audit_entry_action_occurred_at", table_name="audit_entry")
