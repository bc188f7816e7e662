"""The local access codes the access service publishes (read model of AccessCodeChanged).

Revision ID: journal_0012
Revises: journal_0011
Create Date: 2026-12-03 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = 'journal_0012'
down_revision = 'journal_0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('tilgangskode',
    sa.Column('kode', sa.String(length=10), nullable=False),
    sa.Column('er_lokal', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('kode')
    )


def downgrade() -> None:
    op.drop_table('tilgangskode')
