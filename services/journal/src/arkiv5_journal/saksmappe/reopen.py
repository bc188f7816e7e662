"""Reopening a closed case (gjenåpne): saksstatus back to B (Under behandling)."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Saksstatus
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller

from ..authz import access
from ..domain.numbering import today_in_oslo
from ..errors import WrongStatus
from ..models import Saksmappe
from ..store import changelog
from ..store.repository import get_saksmappe

# A case in one of these statuses is closed: nothing is registered in it until it is reopened.
CLOSED = (Saksstatus.A.kode, Saksstatus.S.kode, Saksstatus.U.kode)


async def reopen_saksmappe(session: AsyncSession, *, caller: Caller, saksmappe_id: UUID) -> Saksmappe:
    """A correction of a closed case, so the archive service's (policy: saksmappe.closed, archive.correct.all).

    The change log keeps when and by whom it was closed.
    """
    saksmappe = await get_saksmappe(session, saksmappe_id)
    if saksmappe.saksstatus not in CLOSED:
        raise WrongStatus(f"The case is not closed (saksstatus {saksmappe.saksstatus}); there is nothing to reopen.")
    await access.authorize(session, caller, Action.CORRECT,
                           await access.saksmappe_resource(session, saksmappe, today_in_oslo()))
    closed_on = saksmappe.avsluttet_dato.isoformat() if saksmappe.avsluttet_dato else None
    await changelog.changed(session, saksmappe, "saksmappe", who=access.actor(caller), changes={
        "saksstatus": (saksmappe.saksstatus, Saksstatus.B.kode), "avsluttetDato": (closed_on, None)})
    saksmappe.saksstatus = Saksstatus.B.kode
    saksmappe.avsluttet_dato = None
    saksmappe.avsluttet_av = None
    await session.flush()
    return saksmappe
