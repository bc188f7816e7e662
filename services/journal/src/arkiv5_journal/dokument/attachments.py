"""An attachment filed by another service (an e-mail's attachment), once per Idempotency-Key."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import TilknyttetRegistreringSom, Variantformat
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Conflict

from ..authz import access
from ..blobstore import StoredBlob
from ..context import Context, now_utc
from ..domain.numbering import today_in_oslo
from ..models import Dokumentbeskrivelse, Dokumentobjekt
from ..sniffing import sniff
from ..store import changelog
from ..store.repository import get_journalpost
from .documents import added_event


async def file_attachment(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, key: str, blob: StoredBlob,
    tittel: str, filnavn: str | None, declared_type: str | None,
) -> tuple[Dokumentbeskrivelse, Dokumentobjekt, bool]:
    """An e-mail's attachment as its own dokumentbeskrivelse (V, variant P); once per key."""
    existing = await _by_key(session, key)
    if existing is not None:
        if existing[0].journalpost_id != journalpost_id:
            raise Conflict("This Idempotency-Key was used for another journalpost.")
        return (*existing, False)
    await get_journalpost(session, journalpost_id)
    count = (await session.execute(select(func.count()).select_from(Dokumentbeskrivelse).where(
        col(Dokumentbeskrivelse.journalpost_id) == journalpost_id))).scalar_one()
    who = access.actor(caller)
    now = now_utc()
    beskrivelse = Dokumentbeskrivelse(
        journalpost_id=journalpost_id, dokumentnummer=count + 1, tittel=tittel,
        tilknyttet_registrering_som=TilknyttetRegistreringSom.V.kode, tilknyttet_dato=today_in_oslo(),
        tilknyttet_av=who, opprettet_dato=now, opprettet_av=who, kilde_noekkel=key)
    session.add(beskrivelse)
    await session.flush()
    objekt = Dokumentobjekt(
        dokumentbeskrivelse_id=beskrivelse.system_id, versjonsnummer=1, variantformat=Variantformat.P.kode,
        format=sniff(blob.head, declared_type), sjekksum=blob.sha256, filstoerrelse=blob.size,
        filnavn=filnavn[:255] if filnavn else None, opprettet_dato=now, opprettet_av=who)
    session.add(objekt)
    await session.flush()
    await changelog.created(session, (beskrivelse, "dokumentbeskrivelse"), (objekt, "dokumentobjekt"), who=who)
    await ctx.outbox.add(session, added_event(journalpost_id, beskrivelse, objekt))
    return beskrivelse, objekt, True


async def _by_key(session: AsyncSession, key: str) -> tuple[Dokumentbeskrivelse, Dokumentobjekt] | None:
    row = (await session.execute(
        select(Dokumentbeskrivelse, Dokumentobjekt)
        .join(Dokumentobjekt, col(Dokumentobjekt.dokumentbeskrivelse_id) == col(Dokumentbeskrivelse.system_id))
        .where(col(Dokumentbeskrivelse.kilde_noekkel) == key, col(Dokumentobjekt.variantformat) == Variantformat.P.kode)
    )).first()
    return (row[0], row[1]) if row else None
