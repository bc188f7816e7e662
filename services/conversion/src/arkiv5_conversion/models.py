"""Tables of the conversion service: its own metadata, migrated by its own Alembic history."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import BigInteger, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from arkiv5_kit.messaging import messaging_metadata


class ConversionTable(SQLModel, registry=registry()):
    """Base of every table model of this service (`class X(ConversionTable, table=True)`).

    Its own registry keeps these tables out of SQLModel's global metadata, so services
    sharing one process never see each other's tables.
    """


def _ts(nullable: bool = True) -> Column[datetime]:
    return Column(DateTime(timezone=True), nullable=nullable)


class DisabledAccount(ConversionTable, table=True):
    """Read model of the access service's AccountDisabled: a token of this account is refused
    (401) from this date, though still within its lifetime (`arkiv5_kit.accounts`)."""

    __tablename__ = "disabled_account"

    person_id: UUID = Field(primary_key=True)
    disabled_from: date


class JournalfoertJournalpost(ConversionTable, table=True):
    """A journalpost that reached status J: the nightly batch's list of what to convert."""

    __tablename__ = "conversion_journalpost"

    journalpost_id: UUID = Field(primary_key=True)
    saksmappe_id: UUID | None = None
    reached_j_date: date = Field(index=True, description="Local (Europe/Oslo) date it reached J")
    reached_j_at: datetime = Field(sa_column=_ts(False))
    queued_at: datetime | None = Field(default=None, sa_column=_ts())


class KnownDokument(ConversionTable, table=True):
    """A production (P) dokumentobjekt as the journal's DokumentAdded event told it.

    Jobs are made from these rows, not by asking the journal again: the event carries
    everything a job needs. Kept whether or not the journalpost has reached J yet, since
    the document and status events come on different topics in either order.
    """

    __tablename__ = "conversion_dokument"

    dokumentobjekt_id: UUID = Field(primary_key=True)
    journalpost_id: UUID = Field(index=True)
    sha256: str = Field(max_length=64, description="Of the newest version told")
    size: int = Field(sa_type=BigInteger)
    media_type: str = Field(max_length=255)
    # The worker's sweep reads the last hour's rows every poll: indexed, so it stays flat.
    added_at: datetime = Field(sa_column=Column(DateTime(timezone=True), nullable=False, index=True))


class ConversionJob(ConversionTable, table=True):
    """One source dokumentobjekt (at one checksum) and what became of it."""

    __tablename__ = "conversion_job"
    __table_args__ = (
        UniqueConstraint("dokumentobjekt_id", "source_sha256", name="uq_conversion_job_source"),
        # The morning report and the failure gauge count by status in a time window.
        Index("ix_conversion_job_status_finished_at", "status", "finished_at"),
    )

    id: UUID = Field(primary_key=True)
    dokumentobjekt_id: UUID = Field(index=True)
    source_sha256: str = Field(max_length=64)
    journalpost_id: UUID | None = Field(default=None, index=True)
    saksmappe_id: UUID | None = None
    parent_job_id: UUID | None = Field(default=None, description="The e-mail this attachment came from")
    trigger: str = Field(max_length=20, description="event | nightly | api | attachment")
    status: str = Field(max_length=20, index=True, description="queued | running | done | failed")
    attempts: int = 0
    claim: UUID | None = None
    lease_until: datetime | None = Field(default=None, sa_column=_ts())
    not_before: datetime | None = Field(default=None, sa_column=_ts())
    format: str | None = Field(default=None, max_length=40)
    source_puid: str | None = Field(default=None, max_length=40)
    source_media_type: str | None = Field(default=None, max_length=255)
    archival_dokumentobjekt_id: UUID | None = None
    archival_puid: str | None = Field(default=None, max_length=40)
    archival_media_type: str | None = Field(default=None, max_length=255)
    kept: bool | None = None
    sha256: str | None = Field(default=None, max_length=64)
    size: int | None = Field(default=None, sa_type=BigInteger)
    pages: int | None = None
    reason_code: str | None = Field(default=None, max_length=60)
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(sa_column=_ts(False))
    started_at: datetime | None = Field(default=None, sa_column=_ts())
    finished_at: datetime | None = Field(default=None, sa_column=_ts())


class NightlyBatch(ConversionTable, table=True):
    """One nightly run for one J date; a run that did not finish is resumed."""

    __tablename__ = "conversion_batch"

    j_date: date = Field(primary_key=True)
    status: str = Field(max_length=20, description="running | done | stale (new J after it ended)")
    started_at: datetime = Field(sa_column=_ts(False))
    finished_at: datetime | None = Field(default=None, sa_column=_ts())
    runs: int = 1


metadata = ConversionTable.metadata

# Everything Alembic compares against: the service's tables and the kit's outbox and inbox.
migration_metadata = [metadata, messaging_metadata]
