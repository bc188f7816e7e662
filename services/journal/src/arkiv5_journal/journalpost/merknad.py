"""A remark (merknad) on a journalpost."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller

from ..authz import access
from ..context import now_utc
from ..models import Merknad
from ..schemas import MerknadIn
from ..store import changelog
from .status import journalpost_and_resource


async def add_merknad(
    session: AsyncSession, *, caller: Caller, journalpost_id: UUID, body: MerknadIn
) -> Merknad:
    _journalpost, _saksmappe, resource = await journalpost_and_resource(session, journalpost_id)
    await access.authorize(session, caller, Action.ADD_REMARK, resource)
    merknad = Merknad(journalpost_id=journalpost_id, merknadstekst=body.merknadstekst, merknadstype=body.merknadstype,
                      merknadsdato=now_utc(), merknad_registrert_av=access.actor(caller))
    session.add(merknad)
    await session.flush()
    await changelog.created(session, (merknad, "merknad"), who=access.actor(caller))
    return merknad
