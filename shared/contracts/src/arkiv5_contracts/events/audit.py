"""The sporingslogg's events: reads of screened content, recorded by the service that served them.

Ids, codes, rule ids and outcomes only — never a name, a title or a fødselsnummer. The
journal batches the reads of one request into one event (through its outbox, after the
read); the access service keeps each read once in its sporingslogg.
"""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from ..envelope import EventData
from ..topics import JOURNAL_SPORING

_PREFIX = "no.arkiv5.journal"


class ScreenedRead(BaseModel):
    """One read of screened content: who, when, which object, which rule, and the outcome."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    read_id: UUID = Field(description="Unique per read: the sporingslogg keeps each read once")
    occurred_at: datetime
    person_id: UUID | None = Field(default=None, description="The reader, when a person")
    client_id: str | None = Field(default=None, max_length=100, description="The reading system, when no person")
    object_type: Literal["saksmappe", "journalpost"]
    object_id: UUID
    saksmappe_id: UUID
    access_code: str | None = Field(default=None, max_length=20, description="The tilgangsrestriksjon in force")
    outcome: Literal["allowed", "denied"] = Field(description="allowed: shown in full; denied: masked or refused")
    rule: str = Field(max_length=100, description="The policy rule that decided")
    action: str = Field(default="read", max_length=20, description="read, or the write the answer belongs to")
    correlation_id: UUID | None = None


class ScreenedReadsLogged(EventData):
    """The screened reads of one request (or one batch), for the access service's sporingslogg."""

    event_type: ClassVar[str] = f"{_PREFIX}.screened-reads.logged.v1"
    topic: ClassVar[str] = JOURNAL_SPORING
    source_service: ClassVar[str] = "journal"

    reads: list[ScreenedRead] = Field(min_length=1, max_length=1000)

    def key(self) -> str:
        return str(self.reads[0].person_id or self.reads[0].client_id or self.reads[0].object_id)


EVENTS: list[type[EventData]] = [ScreenedReadsLogged]
