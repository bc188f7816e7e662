"""Rights management: units, persons, accounts, access codes, groups, effective-dated rights,
change requests, direct authorisations and their review, the audit log, signing keys.

The Noark tilgangsrestriksjon codes (M500) are inserted here, frozen as they were when this
revision was written; the archive's own codes are added through the API.

Revision ID: access_0002
Revises: access_0001
Create Date: 2026-11-21
"""

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "access_0002"
down_revision = "access_0001"
branch_labels = None
depends_on = None

NOARK_ACCESS_CODES = [
    ('B', 'Begrenset etter sikkerhetsinstruksen'),
    ('K', 'Konfidensielt etter sikkerhetsinstruksen'),
    ('H', 'Hemmelig etter sikkerhetsinstruksen'),
    ('F', 'Fortrolig etter beskyttelsesinstruksen'),
    ('SF', 'Strengt fortrolig etter beskyttelsesinstruksen'),
    ('5', 'Unntatt etter offentlighetsloven § 5'),
    ('5a', 'Unntatt etter offentlighetsloven § 5a'),
    ('6', 'Unntatt etter offentlighetsloven § 6'),
    ('11', 'Unntatt etter offentlighetsloven § 11'),
    ('XX', 'Midlertidig sperret'),
    ('P', 'Personalsaker'),
    ('KL', 'Klientsaker'),
]


def upgrade() -> None:
    op.create_table('access_code',
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_local', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code')
    )
    op.create_table('access_group',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('is_ad_hoc', sa.Boolean(), nullable=False),
    sa.Column('saksmappe_id', sa.Uuid(), nullable=True),
    sa.Column('journalpost_id', sa.Uuid(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('audit_entry',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('service', sa.String(length=40), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('actor_id', sa.Uuid(), nullable=True),
    sa.Column('subject_id', sa.Uuid(), nullable=True),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Uuid(), nullable=True),
    sa.Column('access_code', sa.String(length=20), nullable=True),
    sa.Column('rule', sa.String(length=100), nullable=True),
    sa.Column('correlation_id', sa.Uuid(), nullable=True),
    sa.Column('details', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_action'), ['action'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_object_id'), ['object_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_service'), ['service'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entry_subject_id'), ['subject_id'], unique=False)

    op.create_table('authorisation',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('granted_by', sa.Uuid(), nullable=False),
    sa.Column('needs_review', sa.Boolean(), nullable=False),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('access_codes', sa.JSON(), nullable=False),
    sa.Column('group_ids', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('rule', sa.String(length=100), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('authorisation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_authorisation_person_id'), ['person_id'], unique=False)

    op.create_table('change_request',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=False),
    sa.Column('effective_date', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('led_unit_ids', sa.JSON(), nullable=False),
    sa.Column('access_codes', sa.JSON(), nullable=False),
    sa.Column('group_ids', sa.JSON(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=True),
    sa.Column('submitted_by', sa.Uuid(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_change_request_person_id'), ['person_id'], unique=False)

    op.create_table('group_snapshot',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('group_id', 'version')
    )
    with op.batch_alter_table('group_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_group_snapshot_group_id'), ['group_id'], unique=False)

    op.create_table('person',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('job_title', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    op.create_table('rights_entry',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('value', sa.String(length=100), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('granted_by', sa.Uuid(), nullable=True),
    sa.Column('source', sa.String(length=30), nullable=False),
    sa.Column('change_request_id', sa.Uuid(), nullable=True),
    sa.Column('authorisation_id', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rights_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_entry_change_request_id'), ['change_request_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_entry_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_rights_entry_value'), ['value'], unique=False)

    op.create_table('rights_snapshot',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('person_id', 'version')
    )
    with op.batch_alter_table('rights_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_snapshot_person_id'), ['person_id'], unique=False)

    op.create_table('signing_key',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('alg', sa.String(length=10), nullable=False),
    sa.Column('public_jwk', sa.JSON(), nullable=False),
    sa.Column('private_pem', sa.String(), nullable=False),
    sa.Column('is_encrypted', sa.Boolean(), nullable=False),
    sa.Column('activates_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('kid')
    )
    op.create_table('unit',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('parent_id', sa.Uuid(), nullable=True),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['parent_id'], ['unit.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('code')
    )
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_unit_parent_id'), ['parent_id'], unique=False)

    op.create_table('account',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('person_id', sa.Uuid(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=True),
    sa.Column('client_id', sa.String(length=100), nullable=True),
    sa.Column('secret_hash', sa.String(length=500), nullable=False),
    sa.Column('allowed_scopes', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('client_id'),
    sa.UniqueConstraint('username')
    )
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_person_id'), ['person_id'], unique=False)

    op.create_table('authorisation_review',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('authorisation_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('reviewed_by', sa.Uuid(), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['authorisation_id'], ['authorisation.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('authorisation_id')
    )
    op.create_table('change_request_decision',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('change_request_id', sa.Uuid(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('decided_by', sa.Uuid(), nullable=False),
    sa.Column('note', sa.String(length=2000), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['change_request_id'], ['change_request.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('change_request_id')
    )
    op.create_table('rights_end',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('entry_id', sa.Uuid(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('ended_by', sa.Uuid(), nullable=True),
    sa.Column('change_request_id', sa.Uuid(), nullable=True),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['entry_id'], ['rights_entry.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('rights_end', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rights_end_entry_id'), ['entry_id'], unique=False)

    op.create_table('account_status',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('is_disabled', sa.Boolean(), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('changed_by', sa.Uuid(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['account.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('account_status', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_status_account_id'), ['account_id'], unique=False)
    now = datetime.now(UTC)
    access_code = sa.table(
        "access_code", sa.column("code", sa.String), sa.column("name", sa.String),
        sa.column("is_local", sa.Boolean), sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        access_code,
        [{"code": code, "name": name, "is_local": False, "created_at": now} for code, name in NOARK_ACCESS_CODES],
    )


def downgrade() -> None:
    with op.batch_alter_table('account_status', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_status_account_id'))

    op.drop_table('account_status')
    with op.batch_alter_table('rights_end', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_end_entry_id'))

    op.drop_table('rights_end')
    op.drop_table('change_request_decision')
    op.drop_table('authorisation_review')
    with op.batch_alter_table('account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_person_id'))

    op.drop_table('account')
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_unit_parent_id'))

    op.drop_table('unit')
    op.drop_table('signing_key')
    with op.batch_alter_table('rights_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_snapshot_person_id'))

    op.drop_table('rights_snapshot')
    with op.batch_alter_table('rights_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rights_entry_value'))
        batch_op.drop_index(batch_op.f('ix_rights_entry_person_id'))
        batch_op.drop_index(batch_op.f('ix_rights_entry_change_request_id'))

    op.drop_table('rights_entry')
    op.drop_table('person')
    with op.batch_alter_table('group_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_group_snapshot_group_id'))

    op.drop_table('group_snapshot')
    with op.batch_alter_table('change_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_change_request_person_id'))

    op.drop_table('change_request')
    with op.batch_alter_table('authorisation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorisation_person_id'))

    op.drop_table('authorisation')
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_subject_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_service'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_object_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_actor_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entry_action'))

    op.drop_table('audit_entry')
    op.drop_table('access_group')
    op.drop_table('access_code')
