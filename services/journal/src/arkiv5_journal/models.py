"""Tables of the journal service: its own metadata, migrated by its own Alembic history.

Column names follow the Noark 5 element names (snake_case of `offentligTittel` etc.); codes
are stored as the bare Noark code ("J", "I"). A skjerming is held on the record it screens
(saksmappe, journalpost) — the standard allows at most one per record.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, DateTime, Index, Text, UniqueConstraint, event, text
from sqlalchemy.orm import object_session, registry
from sqlmodel import Field, SQLModel

from arkiv5_kit.messaging import messaging_metadata


class JournalTable(SQLModel, registry=registry()):
    """Base of every table model of this service (`class X(JournalTable, table=True)`).

    Its own registry keeps these tables out of SQLModel's global metadata, so services
    sharing one process never see each other's tables.
    """


def _ts() -> Any:
    # An instance, which SQLModel accepts though its stub asks for a type.
    return DateTime(timezone=True)


class Arkiv(JournalTable, table=True):
    __tablename__ = "arkiv"

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    tittel: str = Field(max_length=500)
    beskrivelse: str | None = Field(default=None, sa_type=Text)
    arkivstatus: str = Field(default="O", max_length=2)
    versjon: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # counts its changes: the ETag
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


class Arkivdel(JournalTable, table=True):
    __tablename__ = "arkivdel"

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    arkiv_id: UUID = Field(foreign_key="arkiv.system_id", index=True)
    tittel: str = Field(max_length=500)
    arkivdelstatus: str = Field(default="A", max_length=2)
    klassifikasjonssystem_id: UUID | None = Field(default=None, foreign_key="klassifikasjonssystem.system_id")
    versjon: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # counts its changes: the ETag
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


class Klassifikasjonssystem(JournalTable, table=True):
    __tablename__ = "klassifikasjonssystem"

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    klassifikasjonstype: str | None = Field(default=None, max_length=100)
    tittel: str = Field(max_length=500)
    versjon: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # counts its changes: the ETag
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


class Klasse(JournalTable, table=True):
    __tablename__ = "klasse"
    __table_args__ = (UniqueConstraint("klassifikasjonssystem_id", "klasse_id", name="uq_klasse_id"),)

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    klassifikasjonssystem_id: UUID = Field(foreign_key="klassifikasjonssystem.system_id")
    klasse_id: str = Field(max_length=100, description="The arkivkode, e.g. F47")
    tittel: str = Field(max_length=500)
    versjon: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # counts its changes: the ETag
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


class Nummerserie(JournalTable, table=True):
    """The last number given per series and year; its row lock makes numbers gapless."""

    __tablename__ = "nummerserie"

    serie: str = Field(primary_key=True, max_length=50)
    aar: int = Field(primary_key=True)
    sist_tildelt: int = Field(default=0)


class Saksmappe(JournalTable, table=True):
    __tablename__ = "saksmappe"
    __table_args__ = (UniqueConstraint("saksaar", "sakssekvensnummer", name="uq_saksmappe_nummer"),)

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    arkivdel_id: UUID = Field(foreign_key="arkivdel.system_id", index=True)
    klasse_id: UUID | None = Field(default=None, foreign_key="klasse.system_id")
    mappe_id: str = Field(max_length=50)
    saksaar: int
    sakssekvensnummer: int
    saksdato: date
    tittel: str = Field(sa_type=Text)
    offentlig_tittel: str = Field(sa_type=Text)
    administrativ_enhet_id: UUID = Field(index=True)
    saksansvarlig_id: UUID | None = Field(default=None, index=True)
    saksstatus: str = Field(max_length=2, index=True)
    avsluttet_dato: date | None = None
    avsluttet_av: str | None = Field(default=None, max_length=255)
    sekundaer_klassifikasjon: str | None = Field(
        default=None, max_length=20, index=True,
        description="Secondary classification by the client's fødselsnummer (client cases)",
    )
    tilgangsrestriksjon: str | None = Field(default=None, max_length=10)
    skjermingshjemmel: str | None = Field(default=None, max_length=500)
    skjerming_metadata: list[str] = Field(default_factory=list, sa_type=JSON)
    skjerming_opphoerer_dato: date | None = None
    siste_journalpostnummer: int = Field(default=0, description="Counter for journalpostnummer 1, 2, 3 …")
    versjon: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # counts its changes: the ETag
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


class Part(JournalTable, table=True):
    """A sakspart: for a client case, the client (partRolle KLI)."""

    __tablename__ = "part"

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    saksmappe_id: UUID = Field(foreign_key="saksmappe.system_id", index=True)
    part_navn: str = Field(max_length=500)
    part_rolle: str = Field(max_length=10)
    foedselsnummer: str | None = Field(default=None, max_length=11)
    organisasjonsnummer: str | None = Field(default=None, max_length=9)


class Journalpost(JournalTable, table=True):
    __tablename__ = "journalpost"
    __table_args__ = (
        UniqueConstraint("journalaar", "journalsekvensnummer", name="uq_journalpost_nummer"),
        UniqueConstraint("saksmappe_id", "journalpostnummer", name="uq_journalpost_i_sak"),
        Index("ix_journalpost_journaldato", "journaldato"),
    )

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    saksmappe_id: UUID = Field(foreign_key="saksmappe.system_id", index=True)
    journalaar: int
    journalsekvensnummer: int | None = Field(
        default=None, description="Set as the last step of the registering transaction (see numbering)"
    )
    journalpostnummer: int
    journalposttype: str = Field(max_length=2)
    journalstatus: str = Field(max_length=2, index=True)
    journaldato: date
    tittel: str = Field(sa_type=Text)
    offentlig_tittel: str = Field(sa_type=Text)
    er_vedtak: bool = Field(default=False, description="A decision (vedtak): sent only after approval G")
    dokumentets_dato: date | None = None
    mottatt_dato: date | None = None
    sendt_dato: date | None = None
    forfallsdato: date | None = None
    offentlighetsvurdert_dato: date | None = None
    administrativ_enhet_id: UUID = Field(index=True)
    saksbehandler_id: UUID | None = Field(default=None, index=True)
    tilgangsrestriksjon: str | None = Field(default=None, max_length=10)
    skjermingshjemmel: str | None = Field(default=None, max_length=500)
    skjerming_metadata: list[str] = Field(default_factory=list, sa_type=JSON)
    skjerming_opphoerer_dato: date | None = None
    er_etterregistrert: bool = Field(default=False, description="Back-registered after an outage")
    har_forsendelsesfeil: bool = Field(default=False, description="A recipient's letter failed")
    versjon: int = Field(default=1, sa_column_kwargs={"server_default": "1"})  # counts its changes: the ETag
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


def _count_version(_mapper: Any, _connection: Any, record: Any) -> None:
    """Every ORM update that changes a column counts the record's version (the ETag).

    The counters a registration moves with a Core statement (a case's journalpostnummer, the
    journal number given at commit) are not changes of the record and do not count.
    """
    session = object_session(record)
    if session is not None and session.is_modified(record, include_collections=False):
        record.versjon = (record.versjon or 0) + 1


for _versioned in (Saksmappe, Journalpost, Arkiv, Arkivdel, Klassifikasjonssystem, Klasse):
    event.listen(_versioned, "before_update", _count_version)


class Korrespondansepart(JournalTable, table=True):
    __tablename__ = "korrespondansepart"

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    journalpost_id: UUID = Field(foreign_key="journalpost.system_id", index=True)
    korrespondanseparttype: str = Field(max_length=2)
    korrespondansepart_navn: str = Field(max_length=500)
    foedselsnummer: str | None = Field(default=None, max_length=11)
    organisasjonsnummer: str | None = Field(default=None, max_length=9)
    postadresse: list[str] = Field(default_factory=list, sa_type=JSON)
    postnummer: str | None = Field(default=None, max_length=10)
    poststed: str | None = Field(default=None, max_length=100)
    land: str | None = Field(default=None, max_length=100)
    epostadresse: str | None = Field(default=None, max_length=255)
    telefonnummer: str | None = Field(default=None, max_length=50)
    kontaktperson: str | None = Field(default=None, max_length=255)
    administrativ_enhet_id: UUID | None = None
    saksbehandler_id: UUID | None = None
    forsendelse_status: str | None = Field(
        default=None, max_length=20, description="requested, accepted, delivered, rejected"
    )
    forsendelse_feilkode: str | None = Field(default=None, max_length=100)
    forsendelse_feil: str | None = Field(default=None, max_length=500)


class Forsendelse(JournalTable, table=True):
    """One ekspedering: the dispatch requested for a journalpost's external recipients."""

    __tablename__ = "forsendelse"

    dispatch_id: UUID = Field(default_factory=uuid4, primary_key=True)
    journalpost_id: UUID = Field(foreign_key="journalpost.system_id", index=True)
    requested_at: datetime = Field(sa_type=_ts())
    requested_by: str = Field(max_length=255)


DISPATCH_ACTIVE_PREDICATE = "state <> 'rejected'"  # only a refused letter may be sent again


class ForsendelseMottaker(JournalTable, table=True):
    """One recipient's letter in one dispatch; at most one not refused per recipient (never sent twice)."""

    __tablename__ = "forsendelse_mottaker"
    __table_args__ = (Index("uq_forsendelse_mottaker_aktiv", "korrespondansepart_id", unique=True,
                            sqlite_where=text(DISPATCH_ACTIVE_PREDICATE),
                            postgresql_where=text(DISPATCH_ACTIVE_PREDICATE)),)

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    dispatch_id: UUID = Field(foreign_key="forsendelse.dispatch_id", index=True)
    journalpost_id: UUID = Field(foreign_key="journalpost.system_id", index=True)
    korrespondansepart_id: UUID = Field(foreign_key="korrespondansepart.system_id")
    state: str = Field(max_length=20, description="requested, waiting, accepted, delivered, rejected")
    reason_code: str | None = Field(default=None, max_length=100)
    reason: str | None = Field(default=None, max_length=500)
    requested_at: datetime = Field(sa_type=_ts())
    changed_at: datetime = Field(sa_type=_ts())


class Dokumentbeskrivelse(JournalTable, table=True):
    __tablename__ = "dokumentbeskrivelse"
    __table_args__ = (
        UniqueConstraint("journalpost_id", "dokumentnummer", name="uq_dokumentnummer"),
        UniqueConstraint("kilde_noekkel", name="uq_dokumentbeskrivelse_kilde"),
    )

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    journalpost_id: UUID = Field(foreign_key="journalpost.system_id", index=True)
    dokumentnummer: int
    dokumenttype: str | None = Field(default=None, max_length=10)
    dokumentstatus: str = Field(default="F", max_length=2)
    tittel: str = Field(sa_type=Text)
    tilknyttet_registrering_som: str = Field(max_length=2)
    tilknyttet_dato: date
    tilknyttet_av: str = Field(max_length=255)
    skanning_kontrollert: bool | None = Field(
        default=None, description="Scanner confirmed the document legible and complete (None: not scanned)"
    )
    kilde_noekkel: str | None = Field(
        default=None, max_length=200,
        description="Idempotency key of a document filed by another service (an e-mail's attachment)",
    )
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


class Dokumentobjekt(JournalTable, table=True):
    __tablename__ = "dokumentobjekt"
    __table_args__ = (
        UniqueConstraint("dokumentbeskrivelse_id", "versjonsnummer", "variantformat", name="uq_dokumentobjekt_variant"),
    )

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    dokumentbeskrivelse_id: UUID = Field(foreign_key="dokumentbeskrivelse.system_id", index=True)
    versjonsnummer: int
    variantformat: str = Field(max_length=2)
    format: str = Field(max_length=255, description="Media type as sniffed from the bytes")
    format_detaljer: str | None = Field(default=None, max_length=255, description="PRONOM PUID when known")
    sjekksum: str = Field(max_length=64, index=True)
    sjekksum_algoritme: str = Field(default="SHA-256", max_length=20)
    filstoerrelse: int
    filnavn: str | None = Field(default=None, max_length=255, description="A safe base name (limits.safe_filename)")
    originalt_filnavn: str | None = Field(
        default=None, max_length=1024, description="The name as sent, when it was not safe to keep as it was")
    konvertert_fra_id: UUID | None = Field(default=None, index=True)
    opprettet_dato: datetime = Field(sa_type=_ts())
    opprettet_av: str = Field(max_length=255)


class Avskrivning(JournalTable, table=True):
    __tablename__ = "avskrivning"

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    journalpost_id: UUID = Field(foreign_key="journalpost.system_id", index=True)
    avskrivningsdato: date
    avskrevet_av: str = Field(max_length=255)
    avskrivningsmaate: str = Field(max_length=5)
    referanse_avskrives_av_journalpost: UUID | None = Field(default=None, foreign_key="journalpost.system_id")


class Merknad(JournalTable, table=True):
    __tablename__ = "merknad"

    system_id: UUID = Field(default_factory=uuid4, primary_key=True)
    saksmappe_id: UUID | None = Field(default=None, foreign_key="saksmappe.system_id", index=True)
    journalpost_id: UUID | None = Field(default=None, foreign_key="journalpost.system_id", index=True)
    merknadstekst: str = Field(sa_type=Text)
    merknadstype: str | None = Field(default=None, max_length=255)
    merknadsdato: datetime = Field(sa_type=_ts())
    merknad_registrert_av: str = Field(max_length=255)


class Fordeling(JournalTable, table=True):
    """Distribution (fordeling) history of a journalpost to case handlers."""

    __tablename__ = "fordeling"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    journalpost_id: UUID = Field(foreign_key="journalpost.system_id", index=True)
    fra_saksbehandler_id: UUID | None = None
    til_saksbehandler_id: UUID
    til_administrativ_enhet_id: UUID | None = None
    fordelt_at: datetime = Field(sa_type=_ts())
    fordelt_av: str = Field(max_length=255)


class Endringslogg(JournalTable, table=True):
    """Every change: who, when, which field, old and new value — from the first version on."""

    __tablename__ = "endringslogg"
    __table_args__ = (Index("ix_endringslogg_objekt", "referanse_arkivenhet"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    referanse_arkivenhet: UUID
    arkivenhet_type: str = Field(max_length=50)
    referanse_metadata: str = Field(max_length=100, description="The changed field's Noark name")
    endret_dato: datetime = Field(sa_type=_ts(), index=True)
    endret_av: str = Field(max_length=255)
    tidligere_verdi: str | None = Field(default=None, sa_type=Text)
    ny_verdi: str | None = Field(default=None, sa_type=Text)


class Rettighet(JournalTable, table=True):
    """Read model of the access service's RightsChanged snapshots (newest version wins)."""

    __tablename__ = "rettighet"

    person_id: UUID = Field(primary_key=True)
    valid_from: date = Field(primary_key=True)
    version: int
    valid_to: date | None = None
    roles: list[str] = Field(default_factory=list, sa_type=JSON)
    unit_id: UUID | None = None
    led_unit_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    access_codes: list[str] = Field(default_factory=list, sa_type=JSON)
    group_ids: list[str] = Field(default_factory=list, sa_type=JSON)


class KontoSperre(JournalTable, table=True):
    """Read model of AccountDisabled: the person can do nothing from this date."""

    __tablename__ = "konto_sperre"

    person_id: UUID = Field(primary_key=True)
    disabled_from: date


class Tilgangsgruppe(JournalTable, table=True):
    """Read model of GroupChanged."""

    __tablename__ = "tilgangsgruppe"

    group_id: UUID = Field(primary_key=True)
    version: int
    is_ad_hoc: bool = False
    saksmappe_id: UUID | None = Field(default=None, index=True)
    journalpost_id: UUID | None = Field(default=None, index=True)
    member_person_ids: list[str] = Field(default_factory=list, sa_type=JSON)
    valid_from: date
    valid_to: date | None = None


class Tilgangskode(JournalTable, table=True):
    """Read model of AccessCodeChanged: local tilgangsrestriksjon codes, accepted beside the Noark list."""

    __tablename__ = "tilgangskode"

    kode: str = Field(primary_key=True, max_length=10)
    er_lokal: bool = True


class IdempotencyKey(JournalTable, table=True):
    """A creating request's Idempotency-Key, per calling client: what it asked and what it made.

    The primary key is the uniqueness that lets two concurrent requests with one key create
    one object; the fingerprint (SHA-256 of the canonical request) tells a retry from a
    different request reusing the key.
    """

    __tablename__ = "idempotency_key"

    client: str = Field(primary_key=True, max_length=255)
    key: str = Field(primary_key=True, max_length=200)
    fingerprint: str = Field(max_length=64)
    resource_id: UUID
    status_code: int
    created_at: datetime = Field(sa_type=_ts())


class UttrekkJobb(JournalTable, table=True):
    """An arkivuttrekk asked for through the API: queued → running → done | failed (see uttrekk.jobs)."""

    __tablename__ = "uttrekk_jobb"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    arkivdel_id: UUID
    fra: date
    til: date
    arkivskaper_id: str | None = Field(default=None, max_length=255)
    arkivskaper_navn: str | None = Field(default=None, max_length=500)
    status: str = Field(default="queued", max_length=10, index=True)
    journalposter: int | None = None
    skrevet: int = 0
    feil: int | None = None
    advarsler: int | None = None
    melding: str | None = Field(default=None, max_length=500)
    bestilt_av: str = Field(max_length=255)
    bestilt: datetime = Field(sa_type=_ts())
    startet: datetime | None = Field(default=None, sa_type=_ts())
    ferdig: datetime | None = Field(default=None, sa_type=_ts())
    livstegn: datetime | None = Field(default=None, sa_type=_ts())
    """Renewed by the runner while the job runs: a running job without a fresh one was interrupted."""


metadata = JournalTable.metadata

# Everything Alembic compares against: the service's tables and the kit's outbox and inbox.
migration_metadata = [metadata, messaging_metadata]
