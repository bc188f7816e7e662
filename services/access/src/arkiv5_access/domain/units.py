"""Administrative units over time: create, rename, move (a new parent) and end, each with history.

The unit row holds the current state and every change appends a `UnitChange` row (the
unit as it stood after it) and publishes `UnitChanged`. A leader's led units are
published expanded with every unit below them, so a change of the tree (a new unit under
a led unit, a move into or out of it) republishes the `RightsChanged` of every leader
whose tree it touches: the journal's read model follows without a consumer of its own.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.events.access import UnitChange as Change
from arkiv5_contracts.events.access import UnitChanged
from arkiv5_contracts.policy import Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from arkiv5_kit.outbox import Outbox

from ..models import Unit, UnitChange
from . import audit, rights

if TYPE_CHECKING:
    from .service import Actor


def _require_admin(actor: Actor) -> UUID:
    if not actor.has(Role.ARKIVLEDER, Role.SYSTEMANSVARLIG):
        raise Forbidden("Units are changed by the arkivleder or the systemansvarlig.")
    return actor.subject_id


async def get(session: AsyncSession, unit_id: UUID, *, for_update: bool = False) -> Unit:
    unit = await session.get(Unit, unit_id, with_for_update={"key_share": True} if for_update else None)
    if unit is None:
        raise NotFound("No such unit.")
    return unit


def _ancestors(unit_id: UUID | None, parents: dict[UUID, UUID | None]) -> list[UUID]:
    """The unit and every unit above it."""
    chain: list[UUID] = []
    while unit_id is not None and unit_id not in chain:
        chain.append(unit_id)
        unit_id = parents.get(unit_id)
    return chain


async def _parents(session: AsyncSession) -> dict[UUID, UUID | None]:
    return {unit_id: parent_id for unit_id, parent_id in (await session.execute(select(col(Unit.id), col(Unit.parent_id)))).all()}


async def _republish_leaders(session: AsyncSession, outbox: Outbox, *, unit_ids: list[UUID]) -> int:
    """Republish the rights of everyone who ever led one of `unit_ids` (their expanded tree changed)."""
    leaders: set[UUID] = set()
    for unit_id in set(unit_ids):
        leaders |= {h.entry.person_id for h in await rights.held_rights(session, kind=rights.LEADS_UNIT, value=str(unit_id))}
    for person_id in sorted(leaders, key=str):  # one lock order for everyone
        await rights.lock_subject(session, person_id)
        await rights.publish_rights(session, outbox, person_id=person_id)
    return len(leaders)


async def record_change(
    session: AsyncSession, outbox: Outbox, *, unit: Unit, change: Change, by: UUID | None
) -> UnitChange:
    last = await session.scalar(select(func.max(col(UnitChange.version))).where(col(UnitChange.unit_id) == unit.id))
    row = UnitChange(unit_id=unit.id, version=(last or 0) + 1, change=change.value, name=unit.name,
                     parent_id=unit.parent_id, valid_to=unit.valid_to, changed_by=by, created_at=clock.now())
    session.add(row)
    await outbox.add(session, UnitChanged(unit_id=unit.id, version=row.version, change=change, code=unit.code,
                                          parent_id=unit.parent_id, valid_from=unit.valid_from, valid_to=unit.valid_to))
    await session.flush()
    await audit.record(session, action=f"unit.{change.value}", outcome="allowed", actor_id=by, object_type="unit",
                       object_id=unit.id)
    return row


async def created(session: AsyncSession, outbox: Outbox, *, unit: Unit, by: UUID | None) -> None:
    """A new unit: its first history row, and the leaders above it see it in their tree."""
    await record_change(session, outbox, unit=unit, change=Change.CREATED, by=by)
    if unit.parent_id is not None:
        await _republish_leaders(session, outbox, unit_ids=_ancestors(unit.parent_id, await _parents(session)))


async def rename(session: AsyncSession, outbox: Outbox, *, actor: Actor, unit_id: UUID, name: str) -> Unit:
    by = _require_admin(actor)
    unit = await get(session, unit_id, for_update=True)
    if unit.name == name:
        return unit  # nothing changes; no history row, no event
    unit.name = name
    await record_change(session, outbox, unit=unit, change=Change.RENAMED, by=by)
    return unit


async def move(session: AsyncSession, outbox: Outbox, *, actor: Actor, unit_id: UUID, parent_id: UUID | None) -> Unit:
    by = _require_admin(actor)
    unit = await get(session, unit_id, for_update=True)
    if unit.parent_id == parent_id:
        return unit
    parents = await _parents(session)
    if parent_id is not None:
        parent = await session.get(Unit, parent_id)
        if parent is None:
            raise Unprocessable("The new parent unit does not exist.")
        if unit.id in _ancestors(parent_id, parents):
            raise Unprocessable("A unit cannot be moved below itself or a unit below it.")
        if parent.valid_to is not None and parent.valid_to < clock.today():
            raise Unprocessable("The new parent unit has ended.")
    touched = _ancestors(unit.parent_id, parents) + _ancestors(parent_id, parents)
    unit.parent_id = parent_id
    await record_change(session, outbox, unit=unit, change=Change.MOVED, by=by)
    await _republish_leaders(session, outbox, unit_ids=touched)
    return unit


async def end(session: AsyncSession, outbox: Outbox, *, actor: Actor, unit_id: UUID, valid_to: date) -> Unit:
    """The unit's last day. Units below it end first (or move): a tree has no orphans."""
    by = _require_admin(actor)
    unit = await get(session, unit_id, for_update=True)
    if valid_to < unit.valid_from:
        raise Unprocessable("valid_to is before the unit's start.")
    children = (await session.scalars(select(Unit).where(col(Unit.parent_id) == unit.id))).all()
    if any(c.valid_to is None or c.valid_to > valid_to for c in children):
        raise Conflict("A unit below this one is open beyond that day: end or move it first.")
    if unit.valid_to == valid_to:
        return unit
    unit.valid_to = valid_to
    await record_change(session, outbox, unit=unit, change=Change.ENDED, by=by)
    return unit


async def history(session: AsyncSession, *, unit_id: UUID) -> list[UnitChange]:
    await get(session, unit_id)
    rows = await session.scalars(
        select(UnitChange).where(col(UnitChange.unit_id) == unit_id).order_by(col(UnitChange.version)))
    return list(rows)
