"""Arkivuttrekk jobs the arkivleder asks for through the API (the job runner's queue and progress).

Revision ID: journal_0013
Revises: journal_0012
Create Date: 2026-12-04 14:43:19.980636
"""

import sqlalchemy as sa
from alembic import op

revision = 'journal_0013'
down_revision = 'journal_0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('uttrekk_jobb',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('arkivdel_id', sa.Uuid(), nullable=False),
    sa.Column('fra', sa.Date(), nullable=False),
    sa.Column('til', sa.Date(), nullable=False),
    sa.Column('arkivskaper_id', sa.String(length=255), nullable=True),
    sa.Column('arkivskaper_navn', sa.String(length=500), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('journalposter', sa.Integer(), nullable=True),
    sa.Column('skrevet', sa.Integer(), nullable=False),
    sa.Column('feil', sa.Integer(), nullable=True),
    sa.Column('advarsler', sa.Integer(), nullable=True),
    sa.Column('melding', sa.String(length=500), nullable=True),
    sa.Column('bestilt_av', sa.String(length=255), nullable=False),
    sa.Column('bestilt', sa.DateTime(timezone=True), nullable=False),
    sa.Column('startet', sa.DateTime(timezone=True), nullable=True),
    sa.Column('ferdig', sa.DateTime(timezone=True), nullable=True),
    sa.Column('livstegn', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('uttrekk_jobb', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_uttrekk_jobb_status'), ['status'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('uttrekk_jobb', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_uttrekk_jobb_status'))
    op.drop_table('uttrekk_jobb')
