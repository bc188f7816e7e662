"""The extraction's queries: one streamed pass over the period's journalposts, details per batch."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..models import (
    Arkiv,
    Arkivdel,
    Avskrivning,
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Journalpost,
    Klasse,
    Klassifikasjonssystem,
    Korrespondansepart,
    Merknad,
    Part,
    Saksmappe,
)

BATCH = 500


@dataclass(frozen=True)
class Period:
    arkivdel_id: UUID
    fra: date
    til: date

    def journalposts(self) -> Any:
        return (col(Saksmappe.arkivdel_id) == self.arkivdel_id, col(Journalpost.journaldato) >= self.fra,
                col(Journalpost.journaldato) <= self.til)


@dataclass
class Details:
    """What one batch of journalposts carries below it, keyed by journalpost (or case) id."""

    parts: dict[UUID, list[Korrespondansepart]] = field(default_factory=dict)
    avskrivninger: dict[UUID, list[Avskrivning]] = field(default_factory=dict)
    merknader: dict[UUID, list[Merknad]] = field(default_factory=dict)
    documents: dict[UUID, list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]]] = field(default_factory=dict)
    sakspart: dict[UUID, list[Part]] = field(default_factory=dict)


async def structure(session: AsyncSession, arkivdel_id: UUID) -> tuple[Arkiv, Arkivdel, Klassifikasjonssystem | None]:
    arkivdel = await session.get(Arkivdel, arkivdel_id)
    if arkivdel is None:
        raise LookupError("no arkivdel with this systemID")
    arkiv = await session.get(Arkiv, arkivdel.arkiv_id)
    assert arkiv is not None
    system = (await session.get(Klassifikasjonssystem, arkivdel.klassifikasjonssystem_id)
              if arkivdel.klassifikasjonssystem_id else None)
    return arkiv, arkivdel, system


def _in_period(period: Period) -> Select[Journalpost, Saksmappe, Klasse]:
    return (select(Journalpost, Saksmappe, Klasse)
            .join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
            .outerjoin(Klasse, col(Klasse.system_id) == col(Saksmappe.klasse_id))
            .where(*period.journalposts()))


async def count_journalposts(session: AsyncSession, period: Period, *, types: Sequence[str] | None = None,
                             statuses: Sequence[str] | None = None) -> int:
    query = (select(func.count()).select_from(Journalpost)
             .join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id)).where(*period.journalposts()))
    if types is not None:
        query = query.where(col(Journalpost.journalposttype).in_(list(types)))
    if statuses is not None:
        query = query.where(col(Journalpost.journalstatus).in_(list(statuses)))
    return int((await session.execute(query)).scalar_one())


async def has_classified_case(session: AsyncSession, period: Period) -> bool:
    query = (select(col(Journalpost.system_id)).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
             .where(*period.journalposts(), col(Saksmappe.klasse_id).is_not(None)).limit(1))
    return (await session.execute(query)).first() is not None


async def journalposts(session: AsyncSession, period: Period
                       ) -> AsyncIterator[Sequence[tuple[Journalpost, Saksmappe, Klasse | None]]]:
    """The period's journalposts in batches, from a server-side cursor: classified cases first,
    grouped by klasse, then by case, each case's journalposts in number order."""
    query = _in_period(period).order_by(
        case((col(Saksmappe.klasse_id).is_(None), 1), else_=0), col(Klasse.klasse_id), col(Klasse.system_id),
        col(Saksmappe.saksaar), col(Saksmappe.sakssekvensnummer), col(Saksmappe.system_id),
        col(Journalpost.journalaar), col(Journalpost.journalsekvensnummer), col(Journalpost.system_id))
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for partition in result.partitions(BATCH):
        yield [(row[0], row[1], row[2]) for row in partition]


async def details(session: AsyncSession, journalpost_ids: list[UUID], saksmappe_ids: list[UUID]) -> Details:
    found = Details()
    for p in (await session.execute(select(Korrespondansepart).where(
            col(Korrespondansepart.journalpost_id).in_(journalpost_ids)))).scalars():
        found.parts.setdefault(p.journalpost_id, []).append(p)
    for a in (await session.execute(select(Avskrivning).where(
            col(Avskrivning.journalpost_id).in_(journalpost_ids)))).scalars():
        found.avskrivninger.setdefault(a.journalpost_id, []).append(a)
    for m in (await session.execute(select(Merknad).where(or_(
            col(Merknad.journalpost_id).in_(journalpost_ids), col(Merknad.saksmappe_id).in_(saksmappe_ids)))
            .order_by(col(Merknad.merknadsdato)))).scalars():
        owner = m.journalpost_id or m.saksmappe_id
        if owner is not None:
            found.merknader.setdefault(owner, []).append(m)
    for s in (await session.execute(select(Part).where(col(Part.saksmappe_id).in_(saksmappe_ids)))).scalars():
        found.sakspart.setdefault(s.saksmappe_id, []).append(s)
    beskrivelser = list((await session.execute(select(Dokumentbeskrivelse).where(
        col(Dokumentbeskrivelse.journalpost_id).in_(journalpost_ids))
        .order_by(col(Dokumentbeskrivelse.dokumentnummer)))).scalars())
    objekter: dict[UUID, list[Dokumentobjekt]] = {}
    if beskrivelser:
        for o in (await session.execute(select(Dokumentobjekt).where(col(Dokumentobjekt.dokumentbeskrivelse_id).in_(
                [b.system_id for b in beskrivelser])))).scalars():
            objekter.setdefault(o.dokumentbeskrivelse_id, []).append(o)
    for b in beskrivelser:
        found.documents.setdefault(b.journalpost_id, []).append((b, objekter.get(b.system_id, [])))
    session.expunge_all()
    return found


async def changes(session: AsyncSession, period: Period) -> AsyncIterator[Sequence[Endringslogg]]:
    """The change log of the exported journalposts and cases, streamed in batches."""
    posts = select(col(Journalpost.system_id)).join(
        Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id)).where(*period.journalposts())
    cases = select(col(Journalpost.saksmappe_id)).join(
        Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id)).where(*period.journalposts())
    query = (select(Endringslogg).where(or_(col(Endringslogg.referanse_arkivenhet).in_(posts),
                                            col(Endringslogg.referanse_arkivenhet).in_(cases)))
             .order_by(col(Endringslogg.endret_dato), col(Endringslogg.id)))
    result = await session.stream(query.execution_options(yield_per=BATCH))
    async for partition in result.partitions(BATCH):
        yield [row for (row,) in partition]
