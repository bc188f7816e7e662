"""The digest of each Fiks Arkiv message, so a reused klientMeldingId is told apart from a repeat.

Revision ID: intake_0003
Revises: intake_0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0003"
down_revision = "intake_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Nullable: messages stored before have no digest and are answered as repeats, as before.
    with op.batch_alter_table("melding", schema=None) as batch_op:
        batch_op.add_column(sa.Column("digest", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("melding", schema=None) as batch_op:
        batch_op.drop_column("digest")
