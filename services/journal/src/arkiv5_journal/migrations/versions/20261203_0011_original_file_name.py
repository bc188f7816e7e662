"""The file name as sent, beside the safe name stored in filnavn.

Revision ID: journal_0011
Revises: journal_0010
Create Date: 2026-12-03 14:54:40.237800
"""

import sqlalchemy as sa
from alembic import op

revision = 'journal_0011'
down_revision = 'journal_0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('dokumentobjekt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('originalt_filnavn', sa.String(length=1024),
                                      nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('dokumentobjekt', schema=None) as batch_op:
        batch_op.drop_column('originalt_filnavn')
