"""What the gateway needs from the journal to dispatch one journalpost.

The journal serves this over its internal API (`GET /internal/journalposter/{id}/dispatch-material`);
the event that starts a dispatch carries ids only. These models hold personal data
(names, fødselsnummer, addresses): they live in memory while a forsendelse is built and
are never logged, persisted by the gateway, or put into events or error messages.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # Keep personal data out of ValidationError texts that could end up in logs.
    model_config = ConfigDict(hide_input_in_errors=True, extra="ignore")


class PostalAddress(_Model):
    adresselinje1: str | None = None
    adresselinje2: str | None = None
    adresselinje3: str | None = None
    postnummer: str | None = None
    poststed: str | None = None
    landkode: str | None = Field(default=None, description="ISO 3166-1 alpha-2; empty means Norway")


class Recipient(_Model):
    """One korrespondansepart the journalpost is to be sent to."""

    korrespondansepart_id: UUID = Field(description="The korrespondansepart's systemID")
    navn: str | None = None
    fodselsnummer: str | None = Field(default=None, description="Person: fødselsnummer or D-nummer")
    organisasjonsnummer: str | None = None
    postadresse: PostalAddress | None = None


class DocumentRef(_Model):
    """One document to send, in the order the journal wants them (hoveddokument first)."""

    dokumentobjekt_id: UUID
    filnavn: str | None = Field(default=None, description="Original file name; made valid and unique here")
    tittel: str | None = None
    media_type: str = "application/pdf"
    hoveddokument: bool = False
    archival_pdf_dokumentobjekt_id: UUID | None = Field(
        default=None, description="The arkivformat (PDF) variant, when the journal already has it"
    )


class NoarkMetadata(_Model):
    """Noark metadata for `metadataFraAvleverendeSystem` (organisation recipients)."""

    saksaar: int | None = None
    sakssekvensnummer: int | None = None
    journalaar: int | None = None
    journalsekvensnummer: int | None = None
    journalpostnummer: int | None = None
    journalposttype: str | None = None
    journalstatus: str | None = None
    journaldato: date | datetime | None = None
    dokumentetsDato: date | datetime | None = None
    saksbehandler: str | None = None


class DispatchMaterial(_Model):
    journalpost_id: UUID
    tittel: str
    skjermet: bool = Field(default=False, description="The letter is screened (exempt from public access)")
    recipients: list[Recipient]
    documents: list[DocumentRef] = Field(min_length=1)
    metadata: NoarkMetadata = Field(default_factory=NoarkMetadata)

    def recipient(self, korrespondansepart_id: UUID) -> Recipient | None:
        return next((r for r in self.recipients if r.korrespondansepart_id == korrespondansepart_id), None)
