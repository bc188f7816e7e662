"""Closing cases: one case, or every open case of a client at once (all or none)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Saksstatus
from arkiv5_contracts.events.journal import SaksmappeClosed
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import NotFound, Unprocessable

from ..authz import access
from ..context import Context
from ..domain.numbering import today_in_oslo
from ..errors import WrongStatus
from ..models import Saksmappe
from ..store import changelog
from ..store.repository import get_saksmappe, unsigned_in_case


async def close_saksmappe(
    session: AsyncSession, *, ctx: Context, caller: Caller, saksmappe_id: UUID, saksstatus: Saksstatus
) -> Saksmappe:
    if saksstatus not in (Saksstatus.A, Saksstatus.S, Saksstatus.U):
        raise Unprocessable("A case is closed with saksstatus A (Avsluttet), S (Avsluttet av saksbehandler) "
                            "or U (Utgår).")
    saksmappe = await get_saksmappe(session, saksmappe_id)
    if saksmappe.saksstatus in (Saksstatus.A.kode, Saksstatus.U.kode):
        raise WrongStatus(f"The case is already closed (saksstatus {saksmappe.saksstatus}).")
    await access.authorize(session, caller, Action.CLOSE_CASE,
                           await access.saksmappe_resource(session, saksmappe, today_in_oslo()))
    outstanding = await unsigned_in_case(session, saksmappe_id)
    if outstanding:
        raise WrongStatus(
            f"The case has {len(outstanding)} incoming document(s) not signed off (avskrevet): "
            f"journalpostnummer {', '.join(str(n) for n in outstanding)}.",
            journalpostnummer=outstanding,
        )
    today = today_in_oslo()
    await changelog.changed(session, saksmappe, "saksmappe", who=access.actor(caller), changes={
        "saksstatus": (saksmappe.saksstatus, saksstatus.kode), "avsluttetDato": (None, today.isoformat())})
    saksmappe.saksstatus = saksstatus.kode
    saksmappe.avsluttet_dato = today
    saksmappe.avsluttet_av = access.actor(caller)
    await ctx.outbox.add(session, SaksmappeClosed(
        saksmappe_id=saksmappe.system_id, saksaar=saksmappe.saksaar, sakssekvensnummer=saksmappe.sakssekvensnummer,
        administrativ_enhet_id=saksmappe.administrativ_enhet_id, saksstatus=saksstatus, avsluttet_dato=today))
    await session.flush()
    return saksmappe


async def close_client_cases(
    session: AsyncSession, *, ctx: Context, caller: Caller, foedselsnummer: str
) -> list[Saksmappe]:
    """Close every open case of a client who moved away or whose service ended — all or none.

    If any case cannot close (documents not signed off, or not allowed), nothing closes and
    the answer names the cases (by mappeID) that hold it up.
    """
    query = select(Saksmappe).where(
        col(Saksmappe.sekundaer_klassifikasjon) == foedselsnummer,
        col(Saksmappe.saksstatus).not_in([Saksstatus.A.kode, Saksstatus.U.kode]),
    ).order_by(col(Saksmappe.saksaar), col(Saksmappe.sakssekvensnummer))
    cases = list((await session.execute(query)).scalars())
    if not cases:
        raise NotFound("The client has no open case.")
    blocked = [c.mappe_id for c in cases if await unsigned_in_case(session, c.system_id)]
    if blocked:
        raise WrongStatus(f"Cases with incoming documents not signed off: {', '.join(blocked)}; no case was closed.",
                          mappeID=blocked)
    return [await close_saksmappe(session, ctx=ctx, caller=caller, saksmappe_id=c.system_id,
                                  saksstatus=Saksstatus.A) for c in cases]
