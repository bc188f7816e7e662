"""Ad hoc access groups a case handler creates on his own case or journalpost (seed 004 §2).

The journal decides (`create-ad-hoc-group` through the shared policy, on the record it
holds) and the access service, which owns groups, carries it out: the request is an
`AdHocGroupRequested` event in the journal's outbox, in the same transaction as the
change-log row, with a group id chosen here so that access creates it exactly once. The
group reaches the journal's read model back as `GroupChanged`, like every group.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID, uuid4

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.events.journal import AdHocGroupRequested
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Forbidden, Unprocessable

from .authz import access
from .context import Context
from .domain.numbering import today_in_oslo
from .models import Journalpost, Rettighet, Saksmappe
from .store import changelog
from .store.repository import get_journalpost, get_saksmappe


@dataclass(frozen=True)
class Requested:
    group_id: UUID
    saksmappe_id: UUID | None
    journalpost_id: UUID | None
    member_person_ids: list[UUID]
    valid_from: date
    valid_to: date | None


async def _unknown_members(session: AsyncSession, person_ids: list[UUID]) -> bool:
    if not person_ids:
        return False
    known = set((await session.execute(
        select(col(Rettighet.person_id)).where(col(Rettighet.person_id).in_(person_ids)).distinct())).scalars())
    return not set(person_ids) <= known


async def request_group(
    session: AsyncSession, *, ctx: Context, caller: Caller, saksmappe_id: UUID | None = None,
    journalpost_id: UUID | None = None, member_person_ids: list[UUID], valid_from: date | None,
    valid_to: date | None,
) -> Requested:
    """Checks the policy on the record and asks access for the group (exactly one of the two ids)."""
    today = today_in_oslo()
    record: Saksmappe | Journalpost
    if journalpost_id is not None:
        journalpost = await get_journalpost(session, journalpost_id)
        saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
        resource = await access.journalpost_resource(session, journalpost, saksmappe, today)
        record, kind = journalpost, "journalpost"
    else:
        assert saksmappe_id is not None
        saksmappe = await get_saksmappe(session, saksmappe_id)
        resource = await access.saksmappe_resource(session, saksmappe, today)
        record, kind = saksmappe, "saksmappe"
    await access.authorize(session, caller, Action.CREATE_AD_HOC_GROUP, resource)
    requested_by = caller.claims.person_id
    if requested_by is None:
        raise Forbidden("Ad hoc groups are created by a person, not a system client.")
    start = valid_from or today
    if valid_to is not None and valid_to < start:
        raise Unprocessable("gyldigTil is before gyldigFra.", field="gyldigTil")
    members = sorted(set(member_person_ids), key=str)
    if await _unknown_members(session, members):
        raise Unprocessable("medlemmer names a person without rights in the archive.", field="medlemmer")
    event = AdHocGroupRequested(group_id=uuid4(), saksmappe_id=saksmappe_id if journalpost_id is None else None,
                                journalpost_id=journalpost_id, requested_by=requested_by,
                                member_person_ids=members, valid_from=start, valid_to=valid_to)
    await ctx.outbox.add(session, event)
    await changelog.changed(session, record, kind, who=access.actor(caller),
                            changes={"tilgangsgruppe": (None, str(event.group_id))})
    await session.flush()
    return Requested(group_id=event.group_id, saksmappe_id=event.saksmappe_id, journalpost_id=event.journalpost_id,
                     member_person_ids=members, valid_from=start, valid_to=valid_to)
