"""Archive structure: arkiv, arkivdel, klassifikasjonssystem, klasse, saksmappe, journalpost,
korrespondansepart, dokumentbeskrivelse, dokumentobjekt, avskrivning, merknad, the number
series, distribution history, change log and the read model of rights.

Revision ID: journal_0002
Revises: journal_0001
Create Date: 2026-11-21
"""

import sqlalchemy as sa
from alembic import op

revision = 'journal_0002'
down_revision = 'journal_0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('arkiv',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('tittel', sa.String(length=500), nullable=False),
    sa.Column('beskrivelse', sa.Text(), nullable=True),
    sa.Column('arkivstatus', sa.String(length=2), nullable=False),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('system_id')
    )
    op.create_table('endringslogg',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('referanse_arkivenhet', sa.Uuid(), nullable=False),
    sa.Column('arkivenhet_type', sa.String(length=50), nullable=False),
    sa.Column('referanse_metadata', sa.String(length=100), nullable=False),
    sa.Column('endret_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('endret_av', sa.String(length=255), nullable=False),
    sa.Column('tidligere_verdi', sa.Text(), nullable=True),
    sa.Column('ny_verdi', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('endringslogg', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_endringslogg_endret_dato'), ['endret_dato'], unique=False)
        batch_op.create_index('ix_endringslogg_objekt', ['referanse_arkivenhet'], unique=False)

    op.create_table('klassifikasjonssystem',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('klassifikasjonstype', sa.String(length=100), nullable=True),
    sa.Column('tittel', sa.String(length=500), nullable=False),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.PrimaryKeyConstraint('system_id')
    )
    op.create_table('konto_sperre',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('disabled_from', sa.Date(), nullable=False),
    sa.PrimaryKeyConstraint('person_id')
    )
    op.create_table('nummerserie',
    sa.Column('serie', sa.String(length=50), nullable=False),
    sa.Column('aar', sa.Integer(), nullable=False),
    sa.Column('sist_tildelt', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('serie', 'aar')
    )
    op.create_table('rettighet',
    sa.Column('person_id', sa.Uuid(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.Column('roles', sa.JSON(), nullable=False),
    sa.Column('unit_id', sa.Uuid(), nullable=True),
    sa.Column('led_unit_ids', sa.JSON(), nullable=False),
    sa.Column('access_codes', sa.JSON(), nullable=False),
    sa.Column('group_ids', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('person_id', 'valid_from')
    )
    op.create_table('tilgangsgruppe',
    sa.Column('group_id', sa.Uuid(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('is_ad_hoc', sa.Boolean(), nullable=False),
    sa.Column('saksmappe_id', sa.Uuid(), nullable=True),
    sa.Column('journalpost_id', sa.Uuid(), nullable=True),
    sa.Column('member_person_ids', sa.JSON(), nullable=False),
    sa.Column('valid_from', sa.Date(), nullable=False),
    sa.Column('valid_to', sa.Date(), nullable=True),
    sa.PrimaryKeyConstraint('group_id')
    )
    with op.batch_alter_table('tilgangsgruppe', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_tilgangsgruppe_journalpost_id'), ['journalpost_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_tilgangsgruppe_saksmappe_id'), ['saksmappe_id'], unique=False)

    op.create_table('arkivdel',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('arkiv_id', sa.Uuid(), nullable=False),
    sa.Column('tittel', sa.String(length=500), nullable=False),
    sa.Column('arkivdelstatus', sa.String(length=2), nullable=False),
    sa.Column('klassifikasjonssystem_id', sa.Uuid(), nullable=True),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['arkiv_id'], ['arkiv.system_id'], ),
    sa.ForeignKeyConstraint(['klassifikasjonssystem_id'], ['klassifikasjonssystem.system_id'], ),
    sa.PrimaryKeyConstraint('system_id')
    )
    with op.batch_alter_table('arkivdel', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_arkivdel_arkiv_id'), ['arkiv_id'], unique=False)

    op.create_table('klasse',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('klassifikasjonssystem_id', sa.Uuid(), nullable=False),
    sa.Column('klasse_id', sa.String(length=100), nullable=False),
    sa.Column('tittel', sa.String(length=500), nullable=False),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['klassifikasjonssystem_id'], ['klassifikasjonssystem.system_id'], ),
    sa.PrimaryKeyConstraint('system_id'),
    sa.UniqueConstraint('klassifikasjonssystem_id', 'klasse_id', name='uq_klasse_id')
    )
    op.create_table('saksmappe',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('arkivdel_id', sa.Uuid(), nullable=False),
    sa.Column('klasse_id', sa.Uuid(), nullable=True),
    sa.Column('mappe_id', sa.String(length=50), nullable=False),
    sa.Column('saksaar', sa.Integer(), nullable=False),
    sa.Column('sakssekvensnummer', sa.Integer(), nullable=False),
    sa.Column('saksdato', sa.Date(), nullable=False),
    sa.Column('tittel', sa.Text(), nullable=False),
    sa.Column('offentlig_tittel', sa.Text(), nullable=False),
    sa.Column('administrativ_enhet_id', sa.Uuid(), nullable=False),
    sa.Column('saksansvarlig_id', sa.Uuid(), nullable=True),
    sa.Column('saksstatus', sa.String(length=2), nullable=False),
    sa.Column('avsluttet_dato', sa.Date(), nullable=True),
    sa.Column('avsluttet_av', sa.String(length=255), nullable=True),
    sa.Column('sekundaer_klassifikasjon', sa.String(length=20), nullable=True),
    sa.Column('tilgangsrestriksjon', sa.String(length=10), nullable=True),
    sa.Column('skjermingshjemmel', sa.String(length=500), nullable=True),
    sa.Column('skjerming_metadata', sa.JSON(), nullable=False),
    sa.Column('skjerming_opphoerer_dato', sa.Date(), nullable=True),
    sa.Column('siste_journalpostnummer', sa.Integer(), nullable=False),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['arkivdel_id'], ['arkivdel.system_id'], ),
    sa.ForeignKeyConstraint(['klasse_id'], ['klasse.system_id'], ),
    sa.PrimaryKeyConstraint('system_id'),
    sa.UniqueConstraint('saksaar', 'sakssekvensnummer', name='uq_saksmappe_nummer')
    )
    with op.batch_alter_table('saksmappe', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_saksmappe_administrativ_enhet_id'), ['administrativ_enhet_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saksmappe_arkivdel_id'), ['arkivdel_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saksmappe_saksansvarlig_id'), ['saksansvarlig_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_saksmappe_saksstatus'), ['saksstatus'], unique=False)
        batch_op.create_index(batch_op.f('ix_saksmappe_sekundaer_klassifikasjon'), ['sekundaer_klassifikasjon'], unique=False)

    op.create_table('journalpost',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('saksmappe_id', sa.Uuid(), nullable=False),
    sa.Column('journalaar', sa.Integer(), nullable=False),
    sa.Column('journalsekvensnummer', sa.Integer(), nullable=True),
    sa.Column('journalpostnummer', sa.Integer(), nullable=False),
    sa.Column('journalposttype', sa.String(length=2), nullable=False),
    sa.Column('journalstatus', sa.String(length=2), nullable=False),
    sa.Column('journaldato', sa.Date(), nullable=False),
    sa.Column('tittel', sa.Text(), nullable=False),
    sa.Column('offentlig_tittel', sa.Text(), nullable=False),
    sa.Column('er_vedtak', sa.Boolean(), nullable=False),
    sa.Column('dokumentets_dato', sa.Date(), nullable=True),
    sa.Column('mottatt_dato', sa.Date(), nullable=True),
    sa.Column('sendt_dato', sa.Date(), nullable=True),
    sa.Column('forfallsdato', sa.Date(), nullable=True),
    sa.Column('offentlighetsvurdert_dato', sa.Date(), nullable=True),
    sa.Column('administrativ_enhet_id', sa.Uuid(), nullable=False),
    sa.Column('saksbehandler_id', sa.Uuid(), nullable=True),
    sa.Column('tilgangsrestriksjon', sa.String(length=10), nullable=True),
    sa.Column('skjermingshjemmel', sa.String(length=500), nullable=True),
    sa.Column('skjerming_metadata', sa.JSON(), nullable=False),
    sa.Column('skjerming_opphoerer_dato', sa.Date(), nullable=True),
    sa.Column('er_etterregistrert', sa.Boolean(), nullable=False),
    sa.Column('har_forsendelsesfeil', sa.Boolean(), nullable=False),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['saksmappe_id'], ['saksmappe.system_id'], ),
    sa.PrimaryKeyConstraint('system_id'),
    sa.UniqueConstraint('journalaar', 'journalsekvensnummer', name='uq_journalpost_nummer'),
    sa.UniqueConstraint('saksmappe_id', 'journalpostnummer', name='uq_journalpost_i_sak')
    )
    with op.batch_alter_table('journalpost', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_journalpost_administrativ_enhet_id'), ['administrativ_enhet_id'], unique=False)
        batch_op.create_index('ix_journalpost_journaldato', ['journaldato'], unique=False)
        batch_op.create_index(batch_op.f('ix_journalpost_journalstatus'), ['journalstatus'], unique=False)
        batch_op.create_index(batch_op.f('ix_journalpost_saksbehandler_id'), ['saksbehandler_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_journalpost_saksmappe_id'), ['saksmappe_id'], unique=False)

    op.create_table('part',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('saksmappe_id', sa.Uuid(), nullable=False),
    sa.Column('part_navn', sa.String(length=500), nullable=False),
    sa.Column('part_rolle', sa.String(length=10), nullable=False),
    sa.Column('foedselsnummer', sa.String(length=11), nullable=True),
    sa.Column('organisasjonsnummer', sa.String(length=9), nullable=True),
    sa.ForeignKeyConstraint(['saksmappe_id'], ['saksmappe.system_id'], ),
    sa.PrimaryKeyConstraint('system_id')
    )
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_part_saksmappe_id'), ['saksmappe_id'], unique=False)

    op.create_table('avskrivning',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('journalpost_id', sa.Uuid(), nullable=False),
    sa.Column('avskrivningsdato', sa.Date(), nullable=False),
    sa.Column('avskrevet_av', sa.String(length=255), nullable=False),
    sa.Column('avskrivningsmaate', sa.String(length=5), nullable=False),
    sa.Column('referanse_avskrives_av_journalpost', sa.Uuid(), nullable=True),
    sa.ForeignKeyConstraint(['journalpost_id'], ['journalpost.system_id'], ),
    sa.ForeignKeyConstraint(['referanse_avskrives_av_journalpost'], ['journalpost.system_id'], ),
    sa.PrimaryKeyConstraint('system_id')
    )
    with op.batch_alter_table('avskrivning', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_avskrivning_journalpost_id'), ['journalpost_id'], unique=False)

    op.create_table('dokumentbeskrivelse',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('journalpost_id', sa.Uuid(), nullable=False),
    sa.Column('dokumentnummer', sa.Integer(), nullable=False),
    sa.Column('dokumenttype', sa.String(length=10), nullable=True),
    sa.Column('dokumentstatus', sa.String(length=2), nullable=False),
    sa.Column('tittel', sa.Text(), nullable=False),
    sa.Column('tilknyttet_registrering_som', sa.String(length=2), nullable=False),
    sa.Column('tilknyttet_dato', sa.Date(), nullable=False),
    sa.Column('tilknyttet_av', sa.String(length=255), nullable=False),
    sa.Column('skanning_kontrollert', sa.Boolean(), nullable=True),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['journalpost_id'], ['journalpost.system_id'], ),
    sa.PrimaryKeyConstraint('system_id'),
    sa.UniqueConstraint('journalpost_id', 'dokumentnummer', name='uq_dokumentnummer')
    )
    with op.batch_alter_table('dokumentbeskrivelse', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dokumentbeskrivelse_journalpost_id'), ['journalpost_id'], unique=False)

    op.create_table('fordeling',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('journalpost_id', sa.Uuid(), nullable=False),
    sa.Column('fra_saksbehandler_id', sa.Uuid(), nullable=True),
    sa.Column('til_saksbehandler_id', sa.Uuid(), nullable=False),
    sa.Column('til_administrativ_enhet_id', sa.Uuid(), nullable=True),
    sa.Column('fordelt_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fordelt_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['journalpost_id'], ['journalpost.system_id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('fordeling', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fordeling_journalpost_id'), ['journalpost_id'], unique=False)

    op.create_table('forsendelse',
    sa.Column('dispatch_id', sa.Uuid(), nullable=False),
    sa.Column('journalpost_id', sa.Uuid(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['journalpost_id'], ['journalpost.system_id'], ),
    sa.PrimaryKeyConstraint('dispatch_id')
    )
    with op.batch_alter_table('forsendelse', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_forsendelse_journalpost_id'), ['journalpost_id'], unique=False)

    op.create_table('korrespondansepart',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('journalpost_id', sa.Uuid(), nullable=False),
    sa.Column('korrespondanseparttype', sa.String(length=2), nullable=False),
    sa.Column('korrespondansepart_navn', sa.String(length=500), nullable=False),
    sa.Column('foedselsnummer', sa.String(length=11), nullable=True),
    sa.Column('organisasjonsnummer', sa.String(length=9), nullable=True),
    sa.Column('postadresse', sa.JSON(), nullable=False),
    sa.Column('postnummer', sa.String(length=10), nullable=True),
    sa.Column('poststed', sa.String(length=100), nullable=True),
    sa.Column('land', sa.String(length=100), nullable=True),
    sa.Column('epostadresse', sa.String(length=255), nullable=True),
    sa.Column('telefonnummer', sa.String(length=50), nullable=True),
    sa.Column('kontaktperson', sa.String(length=255), nullable=True),
    sa.Column('administrativ_enhet_id', sa.Uuid(), nullable=True),
    sa.Column('saksbehandler_id', sa.Uuid(), nullable=True),
    sa.Column('forsendelse_status', sa.String(length=20), nullable=True),
    sa.Column('forsendelse_feilkode', sa.String(length=100), nullable=True),
    sa.Column('forsendelse_feil', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['journalpost_id'], ['journalpost.system_id'], ),
    sa.PrimaryKeyConstraint('system_id')
    )
    with op.batch_alter_table('korrespondansepart', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_korrespondansepart_journalpost_id'), ['journalpost_id'], unique=False)

    op.create_table('merknad',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('saksmappe_id', sa.Uuid(), nullable=True),
    sa.Column('journalpost_id', sa.Uuid(), nullable=True),
    sa.Column('merknadstekst', sa.Text(), nullable=False),
    sa.Column('merknadstype', sa.String(length=20), nullable=True),
    sa.Column('merknadsdato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('merknad_registrert_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['journalpost_id'], ['journalpost.system_id'], ),
    sa.ForeignKeyConstraint(['saksmappe_id'], ['saksmappe.system_id'], ),
    sa.PrimaryKeyConstraint('system_id')
    )
    with op.batch_alter_table('merknad', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_merknad_journalpost_id'), ['journalpost_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_merknad_saksmappe_id'), ['saksmappe_id'], unique=False)

    op.create_table('dokumentobjekt',
    sa.Column('system_id', sa.Uuid(), nullable=False),
    sa.Column('dokumentbeskrivelse_id', sa.Uuid(), nullable=False),
    sa.Column('versjonsnummer', sa.Integer(), nullable=False),
    sa.Column('variantformat', sa.String(length=2), nullable=False),
    sa.Column('format', sa.String(length=255), nullable=False),
    sa.Column('format_detaljer', sa.String(length=255), nullable=True),
    sa.Column('sjekksum', sa.String(length=64), nullable=False),
    sa.Column('sjekksum_algoritme', sa.String(length=20), nullable=False),
    sa.Column('filstoerrelse', sa.Integer(), nullable=False),
    sa.Column('filnavn', sa.String(length=255), nullable=True),
    sa.Column('konvertert_fra_id', sa.Uuid(), nullable=True),
    sa.Column('opprettet_dato', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opprettet_av', sa.String(length=255), nullable=False),
    sa.ForeignKeyConstraint(['dokumentbeskrivelse_id'], ['dokumentbeskrivelse.system_id'], ),
    sa.PrimaryKeyConstraint('system_id'),
    sa.UniqueConstraint('dokumentbeskrivelse_id', 'versjonsnummer', 'variantformat', name='uq_dokumentobjekt_variant')
    )
    with op.batch_alter_table('dokumentobjekt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_dokumentobjekt_dokumentbeskrivelse_id'), ['dokumentbeskrivelse_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dokumentobjekt_konvertert_fra_id'), ['konvertert_fra_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_dokumentobjekt_sjekksum'), ['sjekksum'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('dokumentobjekt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dokumentobjekt_sjekksum'))
        batch_op.drop_index(batch_op.f('ix_dokumentobjekt_konvertert_fra_id'))
        batch_op.drop_index(batch_op.f('ix_dokumentobjekt_dokumentbeskrivelse_id'))

    op.drop_table('dokumentobjekt')
    with op.batch_alter_table('merknad', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_merknad_saksmappe_id'))
        batch_op.drop_index(batch_op.f('ix_merknad_journalpost_id'))

    op.drop_table('merknad')
    with op.batch_alter_table('korrespondansepart', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_korrespondansepart_journalpost_id'))

    op.drop_table('korrespondansepart')
    with op.batch_alter_table('forsendelse', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_forsendelse_journalpost_id'))

    op.drop_table('forsendelse')
    with op.batch_alter_table('fordeling', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fordeling_journalpost_id'))

    op.drop_table('fordeling')
    with op.batch_alter_table('dokumentbeskrivelse', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_dokumentbeskrivelse_journalpost_id'))

    op.drop_table('dokumentbeskrivelse')
    with op.batch_alter_table('avskrivning', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_avskrivning_journalpost_id'))

    op.drop_table('avskrivning')
    with op.batch_alter_table('part', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_part_saksmappe_id'))

    op.drop_table('part')
    with op.batch_alter_table('journalpost', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_journalpost_saksmappe_id'))
        batch_op.drop_index(batch_op.f('ix_journalpost_saksbehandler_id'))
        batch_op.drop_index(batch_op.f('ix_journalpost_journalstatus'))
        batch_op.drop_index('ix_journalpost_journaldato')
        batch_op.drop_index(batch_op.f('ix_journalpost_administrativ_enhet_id'))

    op.drop_table('journalpost')
    with op.batch_alter_table('saksmappe', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_saksmappe_sekundaer_klassifikasjon'))
        batch_op.drop_index(batch_op.f('ix_saksmappe_saksstatus'))
        batch_op.drop_index(batch_op.f('ix_saksmappe_saksansvarlig_id'))
        batch_op.drop_index(batch_op.f('ix_saksmappe_arkivdel_id'))
        batch_op.drop_index(batch_op.f('ix_saksmappe_administrativ_enhet_id'))

    op.drop_table('saksmappe')
    op.drop_table('klasse')
    with op.batch_alter_table('arkivdel', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_arkivdel_arkiv_id'))

    op.drop_table('arkivdel')
    with op.batch_alter_table('tilgangsgruppe', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_tilgangsgruppe_saksmappe_id'))
        batch_op.drop_index(batch_op.f('ix_tilgangsgruppe_journalpost_id'))

    op.drop_table('tilgangsgruppe')
    op.drop_table('rettighet')
    op.drop_table('nummerserie')
    op.drop_table('konto_sperre')
    op.drop_table('klassifikasjonssystem')
    with op.batch_alter_table('endringslogg', schema=None) as batch_op:
        batch_op.drop_index('ix_endringslogg_objekt')
        batch_op.drop_index(batch_op.f('ix_endringslogg_endret_dato'))

    op.drop_table('endringslogg')
    op.drop_table('arkiv')
