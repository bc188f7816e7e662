"""Events the SvarUt gateway publishes about each dispatch (one per recipient)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ..envelope import EventData
from ..topics import DISPATCH_STATUS

_PREFIX = "no.arkiv5.dispatch"


class _DispatchEvent(EventData):
    source_service: ClassVar[str] = "svarut-gateway"


class DispatchAccepted(_DispatchEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.status.accepted.v1"
    topic: ClassVar[str] = DISPATCH_STATUS

    dispatch_id: UUID
    journalpost_id: UUID
    recipient_id: UUID
    svarut_id: UUID = Field(description="The forsendelse id SvarUt returned")
    accepted_at: datetime

    def key(self) -> str:
        return str(self.dispatch_id)


class DispatchStatusChanged(_DispatchEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.status.status-changed.v1"
    topic: ClassVar[str] = DISPATCH_STATUS

    dispatch_id: UUID
    journalpost_id: UUID
    recipient_id: UUID
    svarut_id: UUID
    status: str = Field(description="SvarUt status, e.g. LEVERT_SDP, PRINTET, IKKE_LEVERT")
    is_terminal: bool
    changed_at: datetime
    reason_code: str | None = Field(
        default=None, description="Set when the status needs a person's attention, e.g. not-delivered"
    )
    reason: str | None = Field(
        default=None, max_length=500, description="What happened and what to do; never personal data"
    )

    def key(self) -> str:
        return str(self.dispatch_id)


class DispatchRejected(_DispatchEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.status.rejected.v1"
    topic: ClassVar[str] = DISPATCH_STATUS

    dispatch_id: UUID
    journalpost_id: UUID
    recipient_id: UUID
    svarut_id: UUID | None = None
    reason_code: str = Field(description="e.g. no-valid-address, password-protected-pdf, avvist")
    reason: str = Field(max_length=500, description="For the case handler; never personal data")

    def key(self) -> str:
        return str(self.dispatch_id)


class DispatchWaiting(_DispatchEvent):
    """The letter to one recipient is not on its way yet, and why (published when the cause changes).

    Not an end state: the gateway keeps trying by itself; `DispatchAccepted` or
    `DispatchRejected` follows. A consumer shows `reason` beside the recipient.
    """

    event_type: ClassVar[str] = f"{_PREFIX}.status.waiting.v1"
    topic: ClassVar[str] = DISPATCH_STATUS

    dispatch_id: UUID
    journalpost_id: UUID
    recipient_id: UUID
    reason_code: str = Field(description="e.g. encryption-certificate-missing, svarut-unreachable, svarut-timeout")
    reason: str = Field(max_length=500, description="For the case handler and the administrator; never personal data")
    since: datetime = Field(description="When the letter started waiting for this reason")
    next_attempt_at: datetime | None = Field(default=None, description="When the gateway tries again")

    def key(self) -> str:
        return str(self.dispatch_id)


EVENTS: list[type[EventData]] = [DispatchAccepted, DispatchStatusChanged, DispatchRejected, DispatchWaiting]
