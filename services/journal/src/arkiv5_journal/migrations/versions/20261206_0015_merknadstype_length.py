"""A merknad's merknadstype holds 255 characters, not 20.

The standard's merknadstype (M084) is free text, and systems write the names of the
common types there ("Merknad fra saksbehandler", 25 characters), as the reference
example of another Noark 5 system does; 20 characters refused them on PostgreSQL.

Revision ID: journal_0015
Revises: journal_0014
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "journal_0015"
down_revision = "journal_0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("merknad", schema=None) as batch_op:
        batch_op.alter_column("merknadstype", existing_type=sa.String(length=20), type_=sa.String(length=255),
                              existing_nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("merknad", schema=None) as batch_op:
        batch_op.alter_column("merknadstype", existing_type=sa.String(length=255), type_=sa.String(length=20),
                              existing_nullable=True)
