"""Tables of the svarut-gateway service: its own metadata, migrated by its own Alembic history."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from arkiv5_kit.messaging import messaging_metadata


class SvarutGatewayTable(SQLModel, registry=registry()):
    """Base of every table model of this service (`class X(SvarutGatewayTable, table=True)`).

    Its own registry keeps these tables out of SQLModel's global metadata, so services
    sharing one process never see each other's tables.
    """


class DisabledAccount(SvarutGatewayTable, table=True):
    """Read model of the access service's AccountDisabled: a token of this account is refused
    (401) from this date, though still within its lifetime (`arkiv5_kit.accounts`)."""

    __tablename__ = "disabled_account"

    person_id: UUID = Field(primary_key=True)
    disabled_from: date


class DispatchState:
    """The state machine of one forsendelse (see service.py)."""

    PENDING = "PENDING"  # to be sent (again); nothing is in flight
    SENDING = "SENDING"  # a send call may be in flight — persisted before the call
    UNCERTAIN = "UNCERTAIN"  # a send may have reached SvarUt; looking the eksternRef up
    ACCEPTED = "ACCEPTED"  # SvarUt has it (we know its id); tracking its status
    COMPLETED = "COMPLETED"  # a terminal SvarUt status was reported
    REJECTED = "REJECTED"  # refused (addressing, documents, or SvarUt's validation)

    ACTIVE = (PENDING, SENDING, UNCERTAIN, ACCEPTED)


class Forsendelse(SvarutGatewayTable, table=True):
    """One letter to one recipient: a DispatchRequested with n recipients makes n rows.

    No personal data: the recipient is a korrespondansepart systemID; names and numbers are
    fetched from the journal when the letter is built and never stored here.
    """

    __tablename__ = "forsendelse"
    __table_args__ = (
        UniqueConstraint("dispatch_id", "recipient_id", name="uq_forsendelse_dispatch_recipient"),
        Index("ix_forsendelse_state_due", "state", "due_at"),
        Index("ix_forsendelse_ekstern_ref", "ekstern_ref"),
        Index("ix_forsendelse_reason_code", "reason_code"),
    )

    id: UUID = Field(primary_key=True)
    dispatch_id: UUID
    journalpost_id: UUID
    recipient_id: UUID
    dokumentobjekt_ids: list[str] = Field(sa_column=Column(JSON, nullable=False))
    ekstern_ref: str = Field(max_length=100)
    state: str = Field(max_length=20)
    channel: str | None = Field(default=None, max_length=20)
    svarut_id: UUID | None = None
    svarut_status: str | None = Field(default=None, max_length=40)
    send_attempts: int = 0
    lookups: int = 0
    due_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    send_started_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    uncertain_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    accepted_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    status_changed_at: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    # While waiting or refused: the cause (domain/reasons.py or a Refusal) and its sentence for a person.
    last_error: str | None = Field(default=None, max_length=300)
    reason_code: str | None = Field(default=None, max_length=60)
    reason_since: datetime | None = Field(default=None, sa_column=Column(DateTime(timezone=True)))
    created_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))
    updated_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False))


metadata = SvarutGatewayTable.metadata

# Everything Alembic compares against: the service's tables and the kit's outbox and inbox.
migration_metadata = [metadata, messaging_metadata]
