"""Events the journal service publishes. Ids, codes and dates only — never names or titles."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import Field

from ..codelists import Journalposttype, Journalstatus, Saksstatus, Variantformat
from ..envelope import EventData
from ..topics import (
    JOURNAL_DISPATCH,
    JOURNAL_DOKUMENT,
    JOURNAL_JOURNALPOST,
    JOURNAL_SAKSMAPPE,
    JOURNAL_TILGANGSGRUPPE,
)

_PREFIX = "no.arkiv5.journal"


class _JournalEvent(EventData):
    source_service: ClassVar[str] = "journal"


class SaksmappeOpened(_JournalEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.saksmappe.opened.v1"
    topic: ClassVar[str] = JOURNAL_SAKSMAPPE

    saksmappe_id: UUID
    saksaar: int = Field(ge=1900, le=9999)
    sakssekvensnummer: int = Field(ge=1)
    administrativ_enhet_id: UUID | None = None
    saksstatus: Saksstatus

    def key(self) -> str:
        return str(self.saksmappe_id)


class SaksmappeClosed(_JournalEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.saksmappe.closed.v1"
    topic: ClassVar[str] = JOURNAL_SAKSMAPPE

    saksmappe_id: UUID
    saksaar: int = Field(ge=1900, le=9999)
    sakssekvensnummer: int = Field(ge=1)
    administrativ_enhet_id: UUID | None = None
    saksstatus: Saksstatus
    avsluttet_dato: date

    def key(self) -> str:
        return str(self.saksmappe_id)


class JournalpostRegistered(_JournalEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.journalpost.registered.v1"
    topic: ClassVar[str] = JOURNAL_JOURNALPOST

    journalpost_id: UUID
    saksmappe_id: UUID
    journalaar: int = Field(ge=1900, le=9999)
    journalsekvensnummer: int = Field(ge=1)
    journalpostnummer: int = Field(ge=1)
    journalposttype: Journalposttype
    journalstatus: Journalstatus
    journaldato: date
    administrativ_enhet_id: UUID | None = None

    def key(self) -> str:
        return str(self.journalpost_id)


class JournalpostStatusChanged(_JournalEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.journalpost.status-changed.v1"
    topic: ClassVar[str] = JOURNAL_JOURNALPOST

    journalpost_id: UUID
    saksmappe_id: UUID
    journalposttype: Journalposttype
    from_status: Journalstatus
    to_status: Journalstatus
    journaldato: date

    def key(self) -> str:
        return str(self.journalpost_id)


class DokumentAdded(_JournalEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.dokument.added.v1"
    topic: ClassVar[str] = JOURNAL_DOKUMENT

    journalpost_id: UUID
    dokumentbeskrivelse_id: UUID
    dokumentobjekt_id: UUID
    versjonsnummer: int = Field(ge=1)
    variantformat: Variantformat
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    media_type: str = Field(max_length=255)

    def key(self) -> str:
        return str(self.journalpost_id)


class DispatchRequested(_JournalEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.dispatch.requested.v1"
    topic: ClassVar[str] = JOURNAL_DISPATCH

    dispatch_id: UUID
    journalpost_id: UUID
    recipient_ids: list[UUID] = Field(min_length=1, description="korrespondansepart systemIDs")
    dokumentobjekt_ids: list[UUID] = Field(min_length=1, description=(
        "The documents to send, hoveddokument first, each named by its newest version's production (P) "
        "dokumentobjekt. The SvarUt gateway sends each document's archival PDF (A) when the journal has it "
        "at sending time, and has it converted on demand otherwise."))

    def key(self) -> str:
        return str(self.journalpost_id)


# A changed field's Noark name (`tittel`, `offentligTittel`, `skjermingMetadata`): the name
# only, never the value, which may be personal.
FieldName = Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]


class SaksmappeCorrected(_JournalEvent):
    """A registered saksmappe was corrected (retting): which fields changed, by whom, when."""

    event_type: ClassVar[str] = f"{_PREFIX}.saksmappe.corrected.v1"
    topic: ClassVar[str] = JOURNAL_SAKSMAPPE

    saksmappe_id: UUID
    changed_fields: list[FieldName] = Field(min_length=1, description="Noark names of the changed fields; no values")
    endret_av: str = Field(max_length=255, description="The actor: a person id (UUID) or a system client's id")
    endret_dato: datetime

    def key(self) -> str:
        return str(self.saksmappe_id)


class JournalpostCorrected(_JournalEvent):
    """A registered journalpost was corrected (retting): which fields changed, by whom, when."""

    event_type: ClassVar[str] = f"{_PREFIX}.journalpost.corrected.v1"
    topic: ClassVar[str] = JOURNAL_JOURNALPOST

    journalpost_id: UUID
    saksmappe_id: UUID
    changed_fields: list[FieldName] = Field(min_length=1, description="Noark names of the changed fields; no values")
    endret_av: str = Field(max_length=255, description="The actor: a person id (UUID) or a system client's id")
    endret_dato: datetime

    def key(self) -> str:
        return str(self.journalpost_id)


class AdHocGroupRequested(_JournalEvent):
    """A case handler created an ad hoc access group on a case or journalpost (the journal
    checked `create-ad-hoc-group`); the access service creates it with this id.

    No name travels: a group's name is free text, which may name a person.
    """

    event_type: ClassVar[str] = f"{_PREFIX}.tilgangsgruppe.requested.v1"
    topic: ClassVar[str] = JOURNAL_TILGANGSGRUPPE

    group_id: UUID = Field(description="Chosen by the journal; the access group gets this id (idempotent)")
    saksmappe_id: UUID | None = Field(default=None, description="The case the group belongs to")
    journalpost_id: UUID | None = Field(default=None, description="Or the journalpost it belongs to")
    requested_by: UUID = Field(description="The case handler's person id; the group's creator")
    member_person_ids: list[UUID] = Field(default_factory=list, max_length=1000)
    valid_from: date
    valid_to: date | None = None

    def key(self) -> str:
        return str(self.group_id)


EVENTS: list[type[EventData]] = [
    SaksmappeOpened,
    SaksmappeClosed,
    JournalpostRegistered,
    JournalpostStatusChanged,
    DokumentAdded,
    DispatchRequested,
    SaksmappeCorrected,
    JournalpostCorrected,
    AdHocGroupRequested,
]
