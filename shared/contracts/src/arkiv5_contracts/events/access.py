"""Events the access service publishes: effective-dated rights, groups, account state."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import ClassVar
from uuid import UUID

from pydantic import Field

from ..envelope import EventData
from ..topics import ACCESS_GROUPS, ACCESS_RIGHTS, ACCESS_UNITS

_PREFIX = "no.arkiv5.access"


class _AccessEvent(EventData):
    source_service: ClassVar[str] = "access"


class RightsChanged(_AccessEvent):
    """A person's complete rights for one validity period (a snapshot, not a delta).

    Snapshots make the journal's read model simple and safe to rebuild: the newest
    version per person and period wins.
    """

    event_type: ClassVar[str] = f"{_PREFIX}.rights.changed.v1"
    topic: ClassVar[str] = ACCESS_RIGHTS

    person_id: UUID
    version: int = Field(ge=1, description="Increases with every change of this person's rights")
    valid_from: date
    valid_to: date | None = Field(default=None, description="Last day the rights hold; None = open-ended")
    roles: list[str] = Field(default_factory=list, description="Role codes, e.g. saksbehandler")
    unit_id: UUID | None = Field(default=None, description="The person's own administrative unit")
    led_unit_ids: list[UUID] = Field(default_factory=list, description="Units led, with all units below")
    access_codes: list[str] = Field(default_factory=list, description="Cleared tilgangsrestriksjon codes")
    group_ids: list[UUID] = Field(default_factory=list)
    change_request_id: UUID | None = None

    def key(self) -> str:
        return str(self.person_id)


class AccountDisabled(_AccessEvent):
    event_type: ClassVar[str] = f"{_PREFIX}.account.disabled.v1"
    topic: ClassVar[str] = ACCESS_RIGHTS

    person_id: UUID
    account_id: UUID
    disabled_from: date

    def key(self) -> str:
        return str(self.person_id)


class GroupChanged(_AccessEvent):
    """An access group's members; ad hoc groups name the case or journalpost they belong to."""

    event_type: ClassVar[str] = f"{_PREFIX}.group.changed.v1"
    topic: ClassVar[str] = ACCESS_GROUPS

    group_id: UUID
    version: int = Field(ge=1)
    is_ad_hoc: bool = False
    saksmappe_id: UUID | None = None
    journalpost_id: UUID | None = None
    member_person_ids: list[UUID] = Field(default_factory=list)
    valid_from: date
    valid_to: date | None = None

    def key(self) -> str:
        return str(self.group_id)


class AccessCodeChanged(_AccessEvent):
    """A tilgangsrestriksjon code the archive added beside the Noark list (a local code).

    The journal accepts it on a skjerming from then on and screens a record that carries it
    exactly as one with a Noark code: shown in full only to those cleared for the code. The
    code's name stays in access (events carry codes, no free text).
    """

    event_type: ClassVar[str] = f"{_PREFIX}.access-code.changed.v1"
    topic: ClassVar[str] = ACCESS_RIGHTS

    code: str = Field(min_length=1, max_length=10, pattern=r"^[A-Za-z0-9æøåÆØÅ._-]+$")
    is_local: bool = True

    def key(self) -> str:
        return self.code


class UnitChange(str, Enum):
    CREATED = "created"
    RENAMED = "renamed"
    MOVED = "moved"
    ENDED = "ended"


class UnitChanged(_AccessEvent):
    """An administrative unit as it stands after a change: created, renamed, moved or ended.

    Carries the code, parent and dates, not the name (consumers key on ids). Leaders' led
    units are expanded in their `RightsChanged`, which access republishes when a move or a
    new unit changes a leader's unit tree.
    """

    event_type: ClassVar[str] = f"{_PREFIX}.unit.changed.v1"
    topic: ClassVar[str] = ACCESS_UNITS

    unit_id: UUID
    version: int = Field(ge=1, description="Increases with every change of this unit")
    change: UnitChange
    code: str = Field(max_length=40)
    parent_id: UUID | None = None
    valid_from: date
    valid_to: date | None = Field(default=None, description="Last day of the unit; None = open-ended")

    def key(self) -> str:
        return str(self.unit_id)


EVENTS: list[type[EventData]] = [RightsChanged, AccountDisabled, GroupChanged, UnitChanged, AccessCodeChanged]
