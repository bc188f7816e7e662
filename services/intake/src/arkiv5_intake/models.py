"""Tables of the intake service: its own metadata, migrated by its own Alembic history."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import JSON, Column, DateTime, Index, LargeBinary, Text, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from arkiv5_kit.messaging import messaging_metadata


class IntakeTable(SQLModel, registry=registry()):
    """Base of every table model of this service; its own registry keeps the tables apart."""


class DisabledAccount(IntakeTable, table=True):
    """Read model of the access service's AccountDisabled: a token of this account is refused
    (401) from this date, though still within its lifetime (`arkiv5_kit.accounts`)."""

    __tablename__ = "disabled_account"

    person_id: UUID = Field(primary_key=True)
    disabled_from: date


class Melding(IntakeTable, table=True):
    """One Fiks Arkiv message as received, and the answers it got (idempotent per sender and klientMeldingId).

    `svar` is the list of answers in the order they are sent: `[{"meldingstype", "xml"}]`.
    `sent_count` says how many of them went out over Fiks IO in answer to the Fiks IO message
    `sent_melding_id` (the HTTP transport answers all at once); a repeat of the message under a
    new Fiks IO id is answered again from the first. `digest` is the SHA-256 of what the message
    says (type, XML, attachments by name), so a klientMeldingId reused for other content is told
    apart from a repeat; rows stored before it was kept have none.
    """

    __tablename__ = "melding"
    __table_args__ = (UniqueConstraint("avsender", "klient_melding_id", name="uq_melding_avsender_klient_melding_id"),)

    id: UUID = Field(primary_key=True)
    avsender: str = Field(max_length=200)
    klient_melding_id: str = Field(max_length=200)
    meldingstype: str = Field(max_length=200)
    digest: str | None = Field(default=None, max_length=64)
    svar: list[dict[str, str | None]] = Field(sa_column=Column(JSON, nullable=False))
    sent_count: int = 0
    sent_melding_id: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class EksternNoekkel(IntakeTable, table=True):
    """What a fagsystem's referanseEksternNoekkel names in the journal, and the kvittering it got.

    `kind` is `mappe`, `registrering` or `dokumentbeskrivelse`. The numbers are kept so that a
    later message may name the record by saksnummer or journalnummer.
    """

    __tablename__ = "ekstern_noekkel"
    __table_args__ = (
        UniqueConstraint("kind", "fagsystem", "noekkel", name="uq_ekstern_noekkel_kind_fagsystem_noekkel"),
        Index("ix_ekstern_noekkel_journal_id", "journal_id"),
        Index("ix_ekstern_noekkel_numbers", "kind", "aar", "sekvensnummer"),
    )

    id: UUID = Field(primary_key=True)
    kind: str = Field(max_length=30)
    fagsystem: str = Field(max_length=200)
    noekkel: str = Field(max_length=200)
    journal_id: UUID
    parent_id: UUID | None = None
    aar: int | None = None
    sekvensnummer: int | None = None
    kvittering: str | None = Field(default=None, sa_column=Column(Text))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


class MailState:
    NEW = "NEW"  # in the queue, waiting for the archive service
    REGISTERED = "REGISTERED"
    REJECTED = "REJECTED"
    FORWARDED = "FORWARDED"


class Epost(IntakeTable, table=True):
    """One raw e-mail from the central mailbox, stored once (SHA-256 of the bytes; Message-ID)."""

    __tablename__ = "epost"
    __table_args__ = (
        UniqueConstraint("sha256", name="uq_epost_sha256"),
        Index("ix_epost_message_id", "message_id"),
        Index("ix_epost_state", "state", "received_at"),
    )

    id: UUID = Field(primary_key=True)
    sha256: str = Field(max_length=64)
    message_id: str | None = Field(default=None, max_length=998)
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    size: int
    folder: str = Field(max_length=200)
    imap_uid: str | None = Field(default=None, max_length=40)
    state: str = Field(max_length=20)
    journalpost_id: UUID | None = None
    handled_by: str | None = Field(default=None, max_length=200)
    reason: str | None = Field(default=None, max_length=500)
    forwarded_to: str | None = Field(default=None, max_length=320)
    received_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    handled_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))


metadata = IntakeTable.metadata

# Everything Alembic compares against: the service's tables and the kit's outbox and inbox.
migration_metadata = [metadata, messaging_metadata]
