"""Distributing (fordeling) a journalpost to a case handler, and its history."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Conflict

from .. import search
from ..authz import access
from ..context import now_utc
from ..models import Fordeling
from ..schemas import FordelingIn
from ..store import changelog
from .status import journalpost_and_resource


async def fordel(
    session: AsyncSession, *, caller: Caller, journalpost_id: UUID, body: FordelingIn
) -> Fordeling:
    journalpost, _saksmappe, resource = await journalpost_and_resource(session, journalpost_id)
    await access.authorize(session, caller, Action.DISTRIBUTE, resource)
    if journalpost.saksbehandler_id == body.saksbehandler and (
        body.administrativ_enhet is None or body.administrativ_enhet == journalpost.administrativ_enhet_id
    ):
        raise Conflict("The journalpost is already distributed to this case handler.")
    fordeling = Fordeling(journalpost_id=journalpost_id, fra_saksbehandler_id=journalpost.saksbehandler_id,
                          til_saksbehandler_id=body.saksbehandler,
                          til_administrativ_enhet_id=body.administrativ_enhet or journalpost.administrativ_enhet_id,
                          fordelt_at=now_utc(), fordelt_av=access.actor(caller))
    changes = {"saksbehandler": (str(journalpost.saksbehandler_id) if journalpost.saksbehandler_id else None,
                                 str(body.saksbehandler))}
    if body.administrativ_enhet is not None and body.administrativ_enhet != journalpost.administrativ_enhet_id:
        changes["administrativEnhet"] = (str(journalpost.administrativ_enhet_id), str(body.administrativ_enhet))
        journalpost.administrativ_enhet_id = body.administrativ_enhet
    await changelog.changed(session, journalpost, "journalpost", who=access.actor(caller), changes=changes)
    journalpost.saksbehandler_id = body.saksbehandler
    await search.refresh(session, journalpost)
    session.add(fordeling)
    await session.flush()
    return fordeling


async def fordelinger(session: AsyncSession, journalpost_id: UUID) -> list[Fordeling]:
    query = select(Fordeling).where(col(Fordeling.journalpost_id) == journalpost_id).order_by(col(Fordeling.fordelt_at))
    return list((await session.execute(query)).scalars())
