"""Intake's tables: Fiks Arkiv messages and their answers, external keys, the e-mail queue.

Revision ID: intake_0002
Revises: intake_0001
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "melding",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("avsender", sa.String(200), nullable=False),
        sa.Column("klient_melding_id", sa.String(200), nullable=False),
        sa.Column("meldingstype", sa.String(200), nullable=False),
        sa.Column("svar", sa.JSON(), nullable=False),
        sa.Column("sent_count", sa.Integer(), nullable=False),
        sa.Column("sent_melding_id", sa.String(100), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("avsender", "klient_melding_id", name="uq_melding_avsender_klient_melding_id"),
    )
    op.create_table(
        "ekstern_noekkel",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("fagsystem", sa.String(200), nullable=False),
        sa.Column("noekkel", sa.String(200), nullable=False),
        sa.Column("journal_id", sa.Uuid(), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("aar", sa.Integer(), nullable=True),
        sa.Column("sekvensnummer", sa.Integer(), nullable=True),
        sa.Column("kvittering", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("kind", "fagsystem", "noekkel", name="uq_ekstern_noekkel_kind_fagsystem_noekkel"),
    )
    op.create_index("ix_ekstern_noekkel_journal_id", "ekstern_noekkel", ["journal_id"])
    op.create_index("ix_ekstern_noekkel_numbers", "ekstern_noekkel", ["kind", "aar", "sekvensnummer"])
    op.create_table(
        "epost",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("message_id", sa.String(998), nullable=True),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("folder", sa.String(200), nullable=False),
        sa.Column("imap_uid", sa.String(40), nullable=True),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("journalpost_id", sa.Uuid(), nullable=True),
        sa.Column("handled_by", sa.String(200), nullable=True),
        sa.Column("reason", sa.String(500), nullable=True),
        sa.Column("forwarded_to", sa.String(320), nullable=True),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("sha256", name="uq_epost_sha256"),
    )
    op.create_index("ix_epost_message_id", "epost", ["message_id"])
    op.create_index("ix_epost_state", "epost", ["state", "received_at"])


def downgrade() -> None:
    op.drop_table("epost")
    op.drop_table("ekstern_noekkel")
    op.drop_table("melding")
