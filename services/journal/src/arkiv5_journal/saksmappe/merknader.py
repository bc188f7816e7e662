"""Remarks (merknader) on a case, and the list of a case's or a journalpost's remarks."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller

from ..authz import access
from ..context import now_utc
from ..domain.numbering import today_in_oslo
from ..models import Merknad
from ..schemas import MerknadIn
from ..store import changelog
from ..store.repository import get_saksmappe


async def add_saksmappe_merknad(
    session: AsyncSession, *, caller: Caller, saksmappe_id: UUID, body: MerknadIn
) -> Merknad:
    """A remark on the case itself. Its text may be personal: it goes to the change log only."""
    saksmappe = await get_saksmappe(session, saksmappe_id)
    await access.authorize(session, caller, Action.ADD_REMARK,
                           await access.saksmappe_resource(session, saksmappe, today_in_oslo()))
    merknad = Merknad(saksmappe_id=saksmappe_id, merknadstekst=body.merknadstekst, merknadstype=body.merknadstype,
                      merknadsdato=now_utc(), merknad_registrert_av=access.actor(caller))
    session.add(merknad)
    await session.flush()
    await changelog.created(session, (merknad, "merknad"), who=access.actor(caller))
    return merknad


async def merknader(session: AsyncSession, *, saksmappe_id: UUID | None = None,
                    journalpost_id: UUID | None = None) -> list[Merknad]:
    """The remarks of one saksmappe (its own, not its journalposts') or of one journalpost, oldest first."""
    column = col(Merknad.saksmappe_id) if saksmappe_id is not None else col(Merknad.journalpost_id)
    query = select(Merknad).where(column == (saksmappe_id or journalpost_id)).order_by(col(Merknad.merknadsdato))
    return list((await session.execute(query)).scalars())
