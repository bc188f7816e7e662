"""Journalstatus changes by hand (the routine of `domain.workflow`), and the one place a status is set."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.events.journal import JournalpostStatusChanged
from arkiv5_contracts.policy import Action, Resource
from arkiv5_kit.auth import Principal as Caller

from .. import search
from ..authz import access
from ..context import Context
from ..domain import workflow
from ..domain.numbering import today_in_oslo
from ..errors import InvalidTransition
from ..models import Journalpost, Saksmappe
from ..store import changelog
from ..store.repository import get_journalpost, get_saksmappe


async def journalpost_and_resource(session: AsyncSession, journalpost_id: UUID) -> tuple[Journalpost, Saksmappe, Resource]:
    journalpost = await get_journalpost(session, journalpost_id)
    saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    return journalpost, saksmappe, await access.journalpost_resource(session, journalpost, saksmappe, today_in_oslo())


async def set_status(
    session: AsyncSession, *, ctx: Context, journalpost: Journalpost, to: Journalstatus, who: str
) -> None:
    before = Journalstatus(journalpost.journalstatus)
    await changelog.changed(session, journalpost, "journalpost", who=who, changes={"journalstatus": (before.kode, to.kode)})
    journalpost.journalstatus = to.kode
    await search.refresh(session, journalpost)
    await ctx.outbox.add(session, JournalpostStatusChanged(
        journalpost_id=journalpost.system_id, saksmappe_id=journalpost.saksmappe_id,
        journalposttype=Journalposttype(journalpost.journalposttype), from_status=before, to_status=to,
        journaldato=journalpost.journaldato))


async def change_status(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, to: Journalstatus
) -> Journalpost:
    journalpost, _saksmappe, resource = await journalpost_and_resource(session, journalpost_id)
    current = Journalstatus(journalpost.journalstatus)
    kind = Journalposttype(journalpost.journalposttype)
    allowed = workflow.allowed_next(kind, current)
    if to is Journalstatus.E:
        raise InvalidTransition(
            "Journalstatus E (Ekspedert) is set by sending: use the ekspedere command "
            f"(POST /journalposter/{journalpost_id}/ekspedere). Allowed changes now: {workflow.describe(allowed)}.",
            allowed=sorted(s.kode for s in allowed))
    if to not in allowed:
        raise InvalidTransition(
            f"journalstatus {current.kode} ({current.kodenavn}) cannot change to {to.kode} ({to.kodenavn}) for a "
            f"journalpost of type {kind.kode}; allowed: {workflow.describe(allowed)}.",
            allowed=sorted(s.kode for s in allowed))
    action = Action.APPROVE if to is Journalstatus.G else Action.UPDATE
    await access.authorize(session, caller, action, resource)
    await set_status(session, ctx=ctx, journalpost=journalpost, to=to, who=access.actor(caller))
    await session.flush()
    return journalpost
