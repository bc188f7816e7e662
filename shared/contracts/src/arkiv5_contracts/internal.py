"""The journal's internal API payloads: what conversion and the SvarUt gateway send and receive.

One URL per operation, under `/internal` on the journal, for service tokens:

| operation | answer / body |
|---|---|
| `GET /internal/journalposter/{id}/dokumentobjekter` | `list[ProductionDocument]` |
| `GET /internal/dokumentobjekter/{id}/content` | the bytes |
| `PUT /internal/dokumentobjekter/{id}/arkivvariant` | `ArchivalVariantStored` |
| `POST /internal/journalposter/{id}/dokumentbeskrivelser` | body part `metadata`: `AttachmentMetadata`; answer `AttachmentFiled` |
| `GET /internal/journalposter/{id}/dispatch-material` | `DispatchMaterial` |

`DispatchMaterial` holds personal data (names, fødselsnummer, addresses): a consumer keeps
it in memory while it builds a forsendelse and never logs, stores or publishes it; its
validation errors never repeat the input.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

SHA256_PATTERN = r"^[0-9a-fA-F]{64}$"


class InternalModel(BaseModel):
    # Personal data stays out of ValidationError texts that could reach a log; fields a newer
    # journal adds are ignored by an older reader (contracts only grow).
    model_config = ConfigDict(hide_input_in_errors=True, extra="ignore")


# --- conversion -----------------------------------------------------------------------------


class ProductionDocument(InternalModel):
    """A production-format (P) dokumentobjekt of a journalpost: what conversion converts."""

    dokumentobjekt_id: UUID
    sha256: str
    size: int | None = None
    media_type: str | None = None
    variantformat: str = "P"


class ArchivalVariantStored(InternalModel):
    """The archival variant (A) of a source dokumentobjekt: the same id for every repeat."""

    dokumentobjekt_id: UUID


class AttachmentSource(InternalModel):
    """Where a filed attachment came from: an e-mail (its dokumentobjekt and checksum) and its place in it."""

    dokumentobjekt_id: UUID
    sha256: str = Field(pattern=SHA256_PATTERN)
    vedlegg_indeks: int = Field(ge=0)


class AttachmentMetadata(InternalModel):
    """The `metadata` part of filing an e-mail's attachment as its own document."""

    tittel: str = Field(min_length=1, max_length=2000)
    tilknyttet_registrering_som: str = Field(default="V", pattern="^V$")
    variantformat: str = Field(default="P", pattern="^P$")
    filnavn: str | None = Field(default=None, max_length=255)
    format: str | None = Field(default=None, max_length=255)
    sha256: str = Field(pattern=SHA256_PATTERN)
    size: int | None = Field(default=None, ge=0)
    kilde: AttachmentSource


class AttachmentFiled(InternalModel):
    dokumentbeskrivelse_id: UUID
    dokumentobjekt_id: UUID
    sha256: str


# --- the SvarUt gateway ---------------------------------------------------------------------


class PostalAddress(InternalModel):
    adresselinje1: str | None = None
    adresselinje2: str | None = None
    adresselinje3: str | None = None
    postnummer: str | None = None
    poststed: str | None = None
    landkode: str | None = Field(default=None, description="ISO 3166-1 alpha-2; empty means Norway")


class Recipient(InternalModel):
    """One korrespondansepart the journalpost is to be sent to."""

    korrespondansepart_id: UUID = Field(description="The korrespondansepart's systemID")
    navn: str | None = None
    fodselsnummer: str | None = Field(default=None, description="Person: fødselsnummer or D-nummer")
    organisasjonsnummer: str | None = None
    postadresse: PostalAddress | None = None


class DocumentRef(InternalModel):
    """One document to send, in the order the journal wants them (hoveddokument first)."""

    dokumentobjekt_id: UUID
    filnavn: str | None = Field(default=None, description="Original file name")
    tittel: str | None = None
    media_type: str = "application/pdf"
    hoveddokument: bool = False
    archival_pdf_dokumentobjekt_id: UUID | None = Field(
        default=None, description="The arkivformat (PDF) variant, when the journal already has it"
    )


class NoarkMetadata(InternalModel):
    """Noark metadata for `metadataFraAvleverendeSystem` (organisation recipients)."""

    saksaar: int | None = None
    sakssekvensnummer: int | None = None
    journalaar: int | None = None
    journalsekvensnummer: int | None = None
    journalpostnummer: int | None = None
    journalposttype: str | None = None
    journalstatus: str | None = None
    journaldato: date | datetime | None = None
    dokumentetsDato: date | datetime | None = None  # noqa: N815 - the Noark element name, as sent
    saksbehandler: str | None = None


class DispatchMaterial(InternalModel):
    """Everything the gateway needs to send one journalpost: recipients, documents, Noark metadata."""

    journalpost_id: UUID
    tittel: str
    skjermet: bool = Field(default=False, description="The letter is screened (exempt from public access)")
    recipients: list[Recipient]
    documents: list[DocumentRef] = Field(description="Empty when the journalpost has no document to send")
    metadata: NoarkMetadata = Field(default_factory=NoarkMetadata)

    def recipient(self, korrespondansepart_id: UUID) -> Recipient | None:
        return next((r for r in self.recipients if r.korrespondansepart_id == korrespondansepart_id), None)
