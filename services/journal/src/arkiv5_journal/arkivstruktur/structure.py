"""The structure created on first use, and the klasser of its klassifikasjonssystem."""

from __future__ import annotations

import uuid
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.dml import insert_ignore
from arkiv5_kit.errors import Conflict, NotFound

from ..authz import access
from ..context import Context, now_utc
from ..models import Arkiv, Arkivdel, Klasse, Klassifikasjonssystem
from ..schemas import KlasseIn
from ..store.repository import klasse_by_id

# Fixed ids of the structure created on first use, so concurrent first requests (or
# replicas) create it once.
_NS = uuid.UUID("6f3c1d0e-5a4b-4c2d-9e8f-0a1b2c3d4e5f")
DEFAULT_ARKIV_ID = uuid.uuid5(_NS, "arkiv")
DEFAULT_ARKIVDEL_ID = uuid.uuid5(_NS, "arkivdel")
DEFAULT_KLASSIFIKASJONSSYSTEM_ID = uuid.uuid5(_NS, "klassifikasjonssystem")


async def ensure_default_structure(session: AsyncSession, *, ctx: Context) -> Arkivdel:
    arkivdel = await session.get(Arkivdel, DEFAULT_ARKIVDEL_ID)
    if arkivdel is not None:
        return arkivdel
    now = now_utc()
    common = {"opprettet_dato": now, "opprettet_av": "journal"}
    await session.execute(insert_ignore(Arkiv, {"system_id": DEFAULT_ARKIV_ID, "tittel": ctx.settings.default_arkiv_tittel,
                                                    "arkivstatus": "O", **common}))
    await session.execute(insert_ignore(Klassifikasjonssystem, {
        "system_id": DEFAULT_KLASSIFIKASJONSSYSTEM_ID, "tittel": "Arkivnøkkel", "klassifikasjonstype": "K-kode", **common}))
    await session.execute(insert_ignore(Arkivdel, {
        "system_id": DEFAULT_ARKIVDEL_ID, "arkiv_id": DEFAULT_ARKIV_ID, "tittel": ctx.settings.default_arkivdel_tittel,
        "arkivdelstatus": "A", "klassifikasjonssystem_id": DEFAULT_KLASSIFIKASJONSSYSTEM_ID, **common}))
    arkivdel = await session.get(Arkivdel, DEFAULT_ARKIVDEL_ID)
    assert arkivdel is not None
    return arkivdel


async def create_klasse(session: AsyncSession, *, ctx: Context, caller: Caller, body: KlasseIn,
                        klassifikasjonssystem_id: UUID | None = None) -> Klasse:
    """A klasse in the given klassifikasjonssystem, or in the default arkivdel's."""
    if klassifikasjonssystem_id is None:
        arkivdel = await ensure_default_structure(session, ctx=ctx)
        assert arkivdel.klassifikasjonssystem_id is not None
        klassifikasjonssystem_id = arkivdel.klassifikasjonssystem_id
    elif await session.get(Klassifikasjonssystem, klassifikasjonssystem_id) is None:
        raise NotFound("No klassifikasjonssystem has this systemID.")
    existing = await klasse_by_id(session, klassifikasjonssystem_id, body.klasse_id)
    if existing is not None:
        raise Conflict(f"klasseID {body.klasse_id!r} already exists in the klassifikasjonssystem.")
    klasse = Klasse(klassifikasjonssystem_id=klassifikasjonssystem_id, klasse_id=body.klasse_id,
                    tittel=body.tittel, opprettet_dato=now_utc(), opprettet_av=access.actor(caller))
    session.add(klasse)
    await session.flush()
    return klasse


async def list_klasser(session: AsyncSession) -> list[Klasse]:
    return list((await session.execute(select(Klasse).order_by(col(Klasse.klasse_id)))).scalars())
