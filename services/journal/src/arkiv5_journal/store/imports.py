"""The migration import's writers: records of another system, with their own systemIDs and numbers.

A migrated journalpost and its rows go through the bulk writer (store/bulk.py) as a
registration does; the tables the writer does not fill (the archive structure, saksmapper,
their parties, avskrivninger, merknader) are written here, in the caller's transaction, so no
import writes rows itself. Nothing here decides anything: which records are new, which
numbers collide and what is skipped is the importer's, from the questions answered here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from uuid import UUID

from sqlalchemy import and_, insert, or_, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..models import (
    Arkiv,
    Arkivdel,
    Avskrivning,
    Endringslogg,
    Journalpost,
    Klasse,
    Klassifikasjonssystem,
    Merknad,
    Part,
    Saksmappe,
)
from . import bulk, search

STRUCTURE = (Klassifikasjonssystem, Arkiv, Arkivdel, Klasse)
"""The archive structure's tables, parents first (an arkivdel names its klassifikasjonssystem)."""

_RAISE_SERIES = text(
    "INSERT INTO nummerserie (serie, aar, sist_tildelt) VALUES (:serie, :aar, :nummer) "
    "ON CONFLICT (serie, aar) DO UPDATE SET sist_tildelt = CASE WHEN nummerserie.sist_tildelt < excluded.sist_tildelt "
    "THEN excluded.sist_tildelt ELSE nummerserie.sist_tildelt END")


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def existing(session: AsyncSession, model: Any, ids: Iterable[UUID]) -> set[UUID]:
    """Which of these systemIDs (or ids) the table holds already."""
    wanted = list(ids)
    if not wanted:
        return set()
    key = model.__table__.primary_key.columns.values()[0]
    return set((await session.execute(select(key).where(key.in_(wanted)))).scalars())


def _ranges(year: Any, number: Any, numbers: Sequence[tuple[int, int]]) -> Any:
    """Per year, the span from the lowest to the highest number asked about.

    A batch's numbers run nearly consecutively within a year or two, so a few ranges (an
    index range scan each) replace a tuple IN of hundreds of pairs, whose statement costs more
    to build and plan than to run. The caller keeps only the pairs it asked about.
    """
    spans: dict[int, tuple[int, int]] = {}
    for aar, nummer in numbers:
        low, high = spans.get(aar, (nummer, nummer))
        spans[aar] = (min(low, nummer), max(high, nummer))
    return or_(*(and_(year == aar, number.between(low, high)) for aar, (low, high) in sorted(spans.items())))


async def taken_case_numbers(session: AsyncSession, numbers: Sequence[tuple[int, int]]) -> dict[tuple[int, int], UUID]:
    """(saksaar, sakssekvensnummer) already given to a saksmappe, and to which."""
    if not numbers:
        return {}
    wanted = set(numbers)
    query = select(col(Saksmappe.saksaar), col(Saksmappe.sakssekvensnummer), col(Saksmappe.system_id)).where(
        _ranges(col(Saksmappe.saksaar), col(Saksmappe.sakssekvensnummer), numbers))
    return {(aar, nummer): system_id for aar, nummer, system_id in (await session.execute(query)).all()
            if (aar, nummer) in wanted}


async def taken_journal_numbers(session: AsyncSession,
                                numbers: Sequence[tuple[int, int]]) -> dict[tuple[int, int], UUID]:
    """(journalaar, journalsekvensnummer) already given to a journalpost, and to which."""
    if not numbers:
        return {}
    wanted = set(numbers)
    query = select(col(Journalpost.journalaar), col(Journalpost.journalsekvensnummer),
                   col(Journalpost.system_id)).where(
        _ranges(col(Journalpost.journalaar), col(Journalpost.journalsekvensnummer), numbers))
    return {(aar, nummer or 0): system_id for aar, nummer, system_id in (await session.execute(query)).all()
            if (aar, nummer or 0) in wanted}


async def write_structure(session: AsyncSession, records: Sequence[Any]) -> int:
    """Arkiv, arkivdel, klassifikasjonssystem and klasse records the journal does not hold yet; how many were new."""
    written = 0
    for model in STRUCTURE:
        mine = [r for r in records if isinstance(r, model)]
        known = await existing(session, model, [r.system_id for r in mine])
        new = [bulk.values(r) for r in mine if r.system_id not in known]
        if new:
            await session.execute(insert(bulk.table_of(model)), new)
            written += len(new)
    return written


async def write_cases(session: AsyncSession, saksmapper: Sequence[Saksmappe], parts: Sequence[Part],
                      merknader: Sequence[Merknad]) -> None:
    """New saksmapper with their parties and remarks."""
    for model, records in ((Saksmappe, saksmapper), (Part, parts), (Merknad, merknader)):
        if records:
            await session.execute(insert(bulk.table_of(model)), [bulk.values(r) for r in records])


async def write_registrations(session: AsyncSession, rows: dict[Any, list[dict[str, Any]]],
                              indexed: Sequence[tuple[Journalpost, Saksmappe, list[Any]]],
                              avskrivninger: Sequence[Avskrivning], merknader: Sequence[Merknad]) -> None:
    """Journalposts and their rows through the bulk writer (no events: a migrated record is not news), then
    their avskrivninger and remarks. Each journalpost carries its number, so no number is taken."""
    if _postgres(session):
        index = [search.postgres_index_row(j, s, parts) for j, s, parts in indexed]
        await bulk.write_postgres(session, rows, index, [])
    else:
        await bulk.write_sqlite(session, rows)
        for journalpost, saksmappe, parts in indexed:
            await search.index(session, journalpost, saksmappe, parts)
    for model, records in ((Avskrivning, avskrivninger), (Merknad, merknader)):
        if records:
            await session.execute(insert(bulk.table_of(model)), [bulk.values(r) for r in records])


async def write_changes(session: AsyncSession, changes: Sequence[Endringslogg]) -> None:
    if changes:
        await session.execute(insert(bulk.table_of(Endringslogg)), [bulk.values(c) for c in changes])


async def raise_series(session: AsyncSession, serie: str, highest: dict[int, int]) -> None:
    """Let a number series continue after the highest number imported per year (never lowers it)."""
    for aar, nummer in sorted(highest.items()):
        await session.execute(_RAISE_SERIES, {"serie": serie, "aar": aar, "nummer": nummer})


async def arkivenhet_types(session: AsyncSession, ids: Iterable[UUID]) -> dict[UUID, str]:
    """Which kind of record each systemID is (for change-log rows that name only the systemID)."""
    wanted = list(set(ids))
    found: dict[UUID, str] = {}
    for model, kind in ((Journalpost, "journalpost"), (Saksmappe, "saksmappe")):
        for system_id in await existing(session, model, wanted):
            found[system_id] = kind
    return found
