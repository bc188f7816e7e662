"""The kit's messaging tables: outbox and inbox.

Revision ID: intake_0001
Revises:
Create Date: 2026-12-03
"""

from alembic import op

from arkiv5_kit.messaging import create_messaging_tables, drop_messaging_tables

revision = "intake_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables(op.get_bind())


def downgrade() -> None:
    drop_messaging_tables(op.get_bind())
