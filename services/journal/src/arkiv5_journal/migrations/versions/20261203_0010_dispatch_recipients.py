"""One row per recipient and dispatch, with its state and reason; at most one not refused per recipient.

The partial unique index makes "never twice" hold under concurrency on SQLite and
PostgreSQL. Dispatches made before this revision get their rows from the recipients'
recorded status, under the journalpost's newest dispatch.

Revision ID: journal_0010
Revises: journal_0009
Create Date: 2026-12-03
"""

import sqlalchemy as sa
from alembic import op

revision = "journal_0010"
down_revision = "journal_0009"
branch_labels = None
depends_on = None

ACTIVE = "state <> 'rejected'"


def upgrade() -> None:
    op.create_table(
        "forsendelse_mottaker",
        sa.Column("system_id", sa.Uuid(), nullable=False),
        sa.Column("dispatch_id", sa.Uuid(), nullable=False),
        sa.Column("journalpost_id", sa.Uuid(), nullable=False),
        sa.Column("korrespondansepart_id", sa.Uuid(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("reason_code", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("requested_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["dispatch_id"], ["forsendelse.dispatch_id"]),
        sa.ForeignKeyConstraint(["journalpost_id"], ["journalpost.system_id"]),
        sa.ForeignKeyConstraint(["korrespondansepart_id"], ["korrespondansepart.system_id"]),
        sa.PrimaryKeyConstraint("system_id"),
    )
    op.create_index("ix_forsendelse_mottaker_dispatch_id", "forsendelse_mottaker", ["dispatch_id"])
    op.create_index("ix_forsendelse_mottaker_journalpost_id", "forsendelse_mottaker", ["journalpost_id"])
    op.create_index("uq_forsendelse_mottaker_aktiv", "forsendelse_mottaker", ["korrespondansepart_id"], unique=True,
                    sqlite_where=sa.text(ACTIVE), postgresql_where=sa.text(ACTIVE))
    _backfill()


def _backfill() -> None:
    bind = op.get_bind()
    # A new random id per row, as each dialect stores a UUID (SQLite: 32 hex digits).
    new_id = "gen_random_uuid()" if bind.dialect.name == "postgresql" else "lower(hex(randomblob(16)))"
    op.execute(
        "INSERT INTO forsendelse_mottaker (system_id, dispatch_id, journalpost_id, korrespondansepart_id, state, "
        "reason_code, requested_at, changed_at) "
        f"SELECT {new_id}, f.dispatch_id, k.journalpost_id, k.system_id, k.forsendelse_status, k.forsendelse_feilkode, "
        "f.requested_at, f.requested_at FROM korrespondansepart k "
        "JOIN forsendelse f ON f.journalpost_id = k.journalpost_id "
        "WHERE k.forsendelse_status IS NOT NULL AND f.requested_at = "
        "(SELECT max(f2.requested_at) FROM forsendelse f2 WHERE f2.journalpost_id = k.journalpost_id)")


def downgrade() -> None:
    op.drop_index("uq_forsendelse_mottaker_aktiv", table_name="forsendelse_mottaker")
    op.drop_index("ix_forsendelse_mottaker_journalpost_id", table_name="forsendelse_mottaker")
    op.drop_index("ix_forsendelse_mottaker_dispatch_id", table_name="forsendelse_mottaker")
    op.drop_table("forsendelse_mottaker")
