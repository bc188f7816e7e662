"""Events the conversion service publishes."""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ..envelope import EventData
from ..topics import CONVERSION_RESULT

_PREFIX = "no.arkiv5.conversion"


class _ConversionEvent(EventData):
    source_service: ClassVar[str] = "conversion"


class ConversionDone(_ConversionEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.result.done.v1"
    topic: ClassVar[str] = CONVERSION_RESULT

    job_id: UUID
    journalpost_id: UUID
    source_dokumentobjekt_id: UUID
    archival_dokumentobjekt_id: UUID
    source_puid: str | None = Field(default=None, description="PRONOM id of the source, e.g. fmt/412")
    archival_puid: str = Field(description="PRONOM id of the result, e.g. fmt/477 (PDF/A-2b)")
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    attachment_dokumentobjekt_ids: list[UUID] = Field(
        default_factory=list,
        description="An e-mail's attachments, filed as their own documents (each converted by its own job)",
    )

    def key(self) -> str:
        return str(self.source_dokumentobjekt_id)


class ConversionFailed(_ConversionEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.result.failed.v1"
    topic: ClassVar[str] = CONVERSION_RESULT

    job_id: UUID
    journalpost_id: UUID
    source_dokumentobjekt_id: UUID
    source_puid: str | None = None
    reason_code: str = Field(description="Machine-readable, e.g. password-protected, timeout, unsupported-format")
    reason: str = Field(max_length=500, description="For the morning report; never document content")

    def key(self) -> str:
        return str(self.source_dokumentobjekt_id)


EVENTS: list[type[EventData]] = [ConversionDone, ConversionFailed]
