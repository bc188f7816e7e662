"""The archive structure: created on first use, and changed by the archive's administrators.

The journal files new cases in a default arkivdel it creates with the first case. The
archive's administrators (the routes ask for `journal.admin`) add arkiver, arkivdeler (a new
period), a klassifikasjonssystem for an arkivdel and its klasser; change their titles and
statuses (each change in the endringslogg and counted in the row's ETag); and delete what
holds nothing yet. An arkivdel takes new cases only in its active period (arkivdelstatus A),
and a closed arkiv (arkivstatus A) no new arkivdel.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.dml import insert_ignore
from arkiv5_kit.errors import Conflict, NotFound, Unprocessable

from ..authz import access
from ..context import Context, now_utc
from ..errors import PreconditionFailed, PreconditionRequired, WrongStatus
from ..models import Arkiv, Arkivdel, Klasse, Klassifikasjonssystem, Saksmappe
from ..schemas import ApiModel, KlasseIn
from ..store import changelog
from ..store.repository import klasse_by_id
from .changes import ArkivdelIn, ArkivIn, KlassifikasjonssystemIn

Row = TypeVar("Row", Arkiv, Arkivdel, Klassifikasjonssystem, Klasse)

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



# --- changed by the archive's administrators ---------------------------------------------------

_DEFAULTS = {DEFAULT_ARKIV_ID, DEFAULT_ARKIVDEL_ID, DEFAULT_KLASSIFIKASJONSSYSTEM_ID}
# Each table's Noark name in the endringslogg, and each model field's column.
_KIND = {Arkiv: "arkiv", Arkivdel: "arkivdel", Klassifikasjonssystem: "klassifikasjonssystem", Klasse: "klasse"}
_COLUMNS = {"tittel": "tittel", "beskrivelse": "beskrivelse", "arkivstatus": "arkivstatus",
            "arkivdelstatus": "arkivdelstatus", "klassifikasjonstype": "klassifikasjonstype"}
# Fields a merge-patch may not remove (null means "remove", and these must have a value).
_REQUIRED = {"tittel", "arkivstatus", "arkivdelstatus"}


def etag(row: Arkiv | Arkivdel | Klassifikasjonssystem | Klasse) -> str:
    """The row's version as an opaque tag, as for a saksmappe (it says nothing of the content)."""
    return '"' + hashlib.sha256(f"{row.system_id}:{row.versjon}".encode()).hexdigest()[:32] + '"'


def check_version(if_match: str | None, row: Arkiv | Arkivdel | Klassifikasjonssystem | Klasse) -> None:
    """Refuse a change without the ETag as read (428), or with another version's (412)."""
    if if_match is None:
        raise PreconditionRequired("A change needs the If-Match (or ETag) header with the ETag as read.")
    tags = {t.strip().removeprefix("W/") for t in if_match.split(",")}
    if "*" not in tags and etag(row) not in tags:
        raise PreconditionFailed(f"The {_KIND[type(row)]} changed since it was read; read it again and repeat the change.")


async def _get(session: AsyncSession, kind: type[Row], system_id: UUID, *, lock: bool = False) -> Row:
    row = await session.get(kind, system_id, with_for_update=lock)
    if row is None:
        raise NotFound(f"No {_KIND[kind]} has this systemID.")
    return row


def _common(caller: Caller) -> dict[str, Any]:
    return {"opprettet_dato": now_utc(), "opprettet_av": access.actor(caller)}


async def create_arkiv(session: AsyncSession, *, caller: Caller, body: ArkivIn) -> Arkiv:
    arkiv = Arkiv(tittel=body.tittel, beskrivelse=body.beskrivelse,
                  arkivstatus=body.arkivstatus.kode if body.arkivstatus else "O", **_common(caller))
    session.add(arkiv)
    await session.flush()
    return arkiv


async def create_arkivdel(session: AsyncSession, *, caller: Caller, arkiv_id: UUID, body: ArkivdelIn) -> Arkivdel:
    """A new arkivdel (say, the next period) of the arkiv; a closed arkiv takes none."""
    arkiv = await _get(session, Arkiv, arkiv_id)
    if arkiv.arkivstatus == "A":
        raise WrongStatus("The arkiv is closed (arkivstatus A): it takes no new arkivdel.")
    arkivdel = Arkivdel(arkiv_id=arkiv_id, tittel=body.tittel,
                        arkivdelstatus=body.arkivdelstatus.kode if body.arkivdelstatus else "A", **_common(caller))
    session.add(arkivdel)
    await session.flush()
    return arkivdel


async def create_klassifikasjonssystem(session: AsyncSession, *, caller: Caller, arkivdel_id: UUID,
                                       body: KlassifikasjonssystemIn) -> Klassifikasjonssystem:
    """The arkivdel's klassifikasjonssystem: an arkivdel here is classified by one, set once."""
    arkivdel = await _get(session, Arkivdel, arkivdel_id, lock=True)
    if arkivdel.klassifikasjonssystem_id is not None:
        raise Conflict("The arkivdel has its klassifikasjonssystem already; add klasser to it (ny-klasse).")
    system = Klassifikasjonssystem(tittel=body.tittel, klassifikasjonstype=body.klassifikasjonstype, **_common(caller))
    session.add(system)
    await session.flush()
    await changelog.changed(session, arkivdel, "arkivdel", who=access.actor(caller),
                            changes={"klassifikasjonssystem": (None, system.system_id)})
    arkivdel.klassifikasjonssystem_id = system.system_id
    await session.flush()
    return system


async def change(session: AsyncSession, *, caller: Caller, kind: type[Row], system_id: UUID, patch: ApiModel,
                 if_match: str | None) -> Row:
    """Set the fields the merge-patch names; each change logged, the row's version counted once."""
    row = await _get(session, kind, system_id, lock=True)
    check_version(if_match, row)
    values: dict[str, Any] = {}
    for name in patch.model_fields_set:
        value = getattr(patch, name)
        if value is None and name in _REQUIRED:
            raise Unprocessable(f"{name} cannot be removed.", field=name)
        values[_COLUMNS[name]] = value.kode if hasattr(value, "kode") else value
    await changelog.changed(session, row, _KIND[kind], who=access.actor(caller),
                            changes={name: (getattr(row, name), value) for name, value in values.items()})
    for column, value in values.items():
        setattr(row, column, value)
    await session.flush()
    return row


async def delete(session: AsyncSession, *, kind: type[Row], system_id: UUID, if_match: str | None) -> None:
    """Delete a structure row that holds nothing (no arkivdel, case, klasse, or arkivdel classified by it)."""
    row = await _get(session, kind, system_id, lock=True)
    if if_match is not None:
        check_version(if_match, row)
    if system_id in _DEFAULTS:
        raise Conflict(f"The journal files new cases in this {_KIND[kind]}; it cannot be deleted.")
    holds: dict[type[Any], list[tuple[type[Any], Any]]] = {
        Arkiv: [(Arkivdel, col(Arkivdel.arkiv_id))],
        Arkivdel: [(Saksmappe, col(Saksmappe.arkivdel_id))],
        Klassifikasjonssystem: [(Klasse, col(Klasse.klassifikasjonssystem_id)),
                                (Arkivdel, col(Arkivdel.klassifikasjonssystem_id))],
        Klasse: [(Saksmappe, col(Saksmappe.klasse_id))],
    }
    for child, column in holds[kind]:
        if await session.scalar(select(func.count()).select_from(child).where(column == system_id)):
            raise Conflict(f"The {_KIND[kind]} holds a {child.__tablename__}; only an empty one can be deleted.")
    await session.delete(row)
    await session.flush()
