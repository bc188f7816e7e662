"""When a waiting letter's current reason began (the read API, the event and the oldest-waiting gauge).

Revision ID: svarut_gateway_0003
Revises: svarut_gateway_0002
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "svarut_gateway_0003"
down_revision = "svarut_gateway_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forsendelse") as batch:
        batch.add_column(sa.Column("reason_since", sa.DateTime(timezone=True), nullable=True))
    op.create_index("ix_forsendelse_reason_code", "forsendelse", ["reason_code"])


def downgrade() -> None:
    op.drop_index("ix_forsendelse_reason_code", table_name="forsendelse")
    with op.batch_alter_table("forsendelse") as batch:
        batch.drop_column("reason_since")
