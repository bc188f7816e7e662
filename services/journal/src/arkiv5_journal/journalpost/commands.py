"""The command every entry point translates a new journalpost into.

The HTTP API (JSON or multipart), and later the Noark 5 interface, Fiks Arkiv, e-mail intake
and migration import all build a `RegisterJournalpost`; its documents are blob references
(already in the document store), never request part names.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from arkiv5_contracts.codelists import (
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    Korrespondanseparttype,
    SkjermingMetadata,
    TilknyttetRegistreringSom,
)

from ..blobstore import StoredBlob


@dataclass(frozen=True)
class Skjerming:
    tilgangsrestriksjon: str
    """A Noark code or a local one the access service published (checked on registration)."""
    skjermingshjemmel: str
    skjerming_metadata: list[SkjermingMetadata]
    skjerming_opphoerer_dato: date | None = None


@dataclass(frozen=True)
class NewKorrespondansepart:
    korrespondanseparttype: Korrespondanseparttype
    korrespondansepart_navn: str
    foedselsnummer: str | None = None
    organisasjonsnummer: str | None = None
    postadresse: list[str] = field(default_factory=list)
    postnummer: str | None = None
    poststed: str | None = None
    land: str | None = None
    epostadresse: str | None = None
    telefonnummer: str | None = None
    kontaktperson: str | None = None
    administrativ_enhet: UUID | None = None
    saksbehandler: UUID | None = None


@dataclass(frozen=True)
class NewDocument:
    """A file already in the document store, with what the sender said about it."""

    blob: StoredBlob
    declared_type: str | None = None
    filnavn: str | None = None
    originalt_filnavn: str | None = None
    tittel: str | None = None
    dokumenttype: Dokumenttype | None = None
    tilknyttet_registrering_som: TilknyttetRegistreringSom | None = None
    skanning_kontrollert: bool | None = None


@dataclass(frozen=True)
class RegisterJournalpost:
    saksmappe_id: UUID
    journalposttype: Journalposttype
    tittel: str
    journalstatus: Journalstatus | None = None
    skjermede_ord: list[str] = field(default_factory=list)
    offentlig_tittel: str | None = None
    er_vedtak: bool = False
    dokumentets_dato: date | None = None
    mottatt_dato: date | None = None
    sendt_dato: date | None = None
    forfallsdato: date | None = None
    offentlighetsvurdert_dato: date | None = None
    administrativ_enhet: UUID | None = None
    saksbehandler: UUID | None = None
    skjerming: Skjerming | None = None
    korrespondansepart: list[NewKorrespondansepart] = field(default_factory=list)
    etterregistrering: bool = False
    documents: list[NewDocument] = field(default_factory=list)
