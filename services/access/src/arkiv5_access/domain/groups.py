"""Access group membership over time, and ad hoc groups created on the journal's request.

Membership is a `group` rights entry of the member (dated, ended by an appended end), so
it has the same history as every other right. A change republishes the member's
`RightsChanged` and the group's `GroupChanged`, which the journal's read model follows.

Who changes members: the arkivleder for every group; the creator of an ad hoc group (the
case handler who asked for it in the journal) for that group.
"""

from __future__ import annotations

from datetime import date, timedelta
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.events.journal import AdHocGroupRequested
from arkiv5_contracts.policy import Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from arkiv5_kit.outbox import Outbox

from ..models import AccessGroup, Person
from . import audit, rights
from .service import Actor


async def get(session: AsyncSession, group_id: UUID) -> AccessGroup:
    group = await session.get(AccessGroup, group_id)
    if group is None:
        raise NotFound("No such access group.")
    return group


def may_manage(actor: Actor, group: AccessGroup) -> bool:
    return actor.has(Role.ARKIVLEDER) or (group.is_ad_hoc and group.created_by == actor.subject_id)


def _check(session: AsyncSession, actor: Actor, group: AccessGroup, action: str) -> None:
    if not may_manage(actor, group):
        audit.record_denial(session, action=action, actor_id=actor.subject_id, object_type="group", object_id=group.id,
                            rule="group.not-creator")
        raise Forbidden("Members are changed by the arkivleder, or by the case handler who created the ad hoc group.")


async def add_member(
    session: AsyncSession, outbox: Outbox, *, actor: Actor, group_id: UUID, person_id: UUID, valid_from: date | None
) -> rights.HeldRight:
    group = await get(session, group_id)
    _check(session, actor, group, "group.member-added")
    if await session.get(Person, person_id) is None:
        raise Unprocessable("A person named in the request does not exist.")
    start = max(valid_from or clock.today(), group.valid_from)
    if group.valid_to is not None and start > group.valid_to:
        raise Unprocessable("The group has ended by then.")
    await rights.lock_subject(session, person_id)
    held = [h for h in await rights.held_rights(session, person_id=person_id, kind=rights.GROUP, value=str(group.id))
            if h.ever_held and (h.valid_to is None or h.valid_to >= start)]
    if held:
        raise Conflict("The person is a member of this group on that day already.")
    by = rights.Granter(granted_by=actor.subject_id, source="admin")
    [entry] = await rights.add_rights(session, person_id=person_id, pairs={(rights.GROUP, str(group.id))},
                                      valid_from=start, valid_to=group.valid_to, by=by)
    await rights.publish_rights(session, outbox, person_id=person_id)
    await rights.publish_group(session, outbox, group=group, day=clock.today())
    await audit.record(session, action="group.member-added", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=person_id, object_type="group", object_id=group.id,
                       details={"valid_from": start.isoformat()})
    return rights.HeldRight(entry, entry.valid_to)


async def remove_member(
    session: AsyncSession, outbox: Outbox, *, actor: Actor, group_id: UUID, person_id: UUID, last_day: date | None
) -> None:
    """The membership holds through `last_day` (default: yesterday, so it stops today)."""
    group = await get(session, group_id)
    _check(session, actor, group, "group.member-removed")
    ends_on = last_day if last_day is not None else clock.today() - timedelta(days=1)
    await rights.lock_subject(session, person_id)
    held = [h for h in await rights.held_rights(session, person_id=person_id, kind=rights.GROUP, value=str(group.id))
            if h.ever_held and (h.valid_to is None or h.valid_to > ends_on)]
    if not held:
        raise NotFound("The person is not a member of this group after that day.")
    by = rights.Granter(granted_by=actor.subject_id, source="admin")
    await rights.end_entries(session, entries=held, ends_on=ends_on, by=by, reason="admin")
    await rights.publish_rights(session, outbox, person_id=person_id)
    await rights.publish_group(session, outbox, group=group, day=clock.today())
    await audit.record(session, action="group.member-removed", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=person_id, object_type="group", object_id=group.id,
                       details={"last_day": ends_on.isoformat()})


async def members(session: AsyncSession, *, actor: Actor, may_read_all: bool, group_id: UUID) -> list[rights.HeldRight]:
    """Every membership the group ever had, with its dates (its history)."""
    group = await get(session, group_id)
    if not (may_read_all or may_manage(actor, group)):
        raise Forbidden("This needs the scope access.rights.read, or being the ad hoc group's creator.")
    return await rights.held_rights(session, kind=rights.GROUP, value=str(group.id))


def ad_hoc_name(event: AdHocGroupRequested) -> str:
    """Groups made on the journal's request are named by their record (no free text travels)."""
    if event.saksmappe_id is not None:
        return f"Ad hoc: saksmappe {event.saksmappe_id}"
    return f"Ad hoc: journalpost {event.journalpost_id}"


async def on_ad_hoc_group_requested(session: AsyncSession, outbox: Outbox, event: AdHocGroupRequested) -> AccessGroup | None:
    """Creates the group the journal allowed (it checked `create-ad-hoc-group` on the record).

    Idempotent on the group id: a redelivered event finds its group and changes nothing.
    Members unknown here are skipped (counted in the sporingslogg), not failed: the event is
    a fact the journal has already answered for.
    """
    existing = await session.get(AccessGroup, event.group_id)
    if existing is not None:
        return existing
    if (event.saksmappe_id is None) == (event.journalpost_id is None):
        await audit.record(session, action="group.created", outcome="failed", actor_id=event.requested_by,
                           object_type="group", object_id=event.group_id, rule="ad-hoc.one-record")
        return None
    group = AccessGroup(id=event.group_id, name=ad_hoc_name(event), is_ad_hoc=True, saksmappe_id=event.saksmappe_id,
                        journalpost_id=event.journalpost_id, valid_from=event.valid_from, valid_to=event.valid_to,
                        created_by=event.requested_by, created_at=clock.now())
    session.add(group)
    await session.flush()
    known = [p for p in sorted(set(event.member_person_ids), key=str) if await session.get(Person, p) is not None]
    by = rights.Granter(granted_by=event.requested_by, source="direct")
    for person_id in known:
        await rights.lock_subject(session, person_id)
        await rights.add_rights(session, person_id=person_id, pairs={(rights.GROUP, str(group.id))},
                                valid_from=event.valid_from, valid_to=event.valid_to, by=by)
        await rights.publish_rights(session, outbox, person_id=person_id)
    await rights.publish_group(session, outbox, group=group, day=clock.today())
    await audit.record(session, action="group.created", outcome="allowed", actor_id=event.requested_by,
                       object_type="group", object_id=group.id, rule="create-ad-hoc-group.journal",
                       details={"is_ad_hoc": True, "members": len(known),
                                "unknown_members": len(event.member_person_ids) - len(known)})
    return group
