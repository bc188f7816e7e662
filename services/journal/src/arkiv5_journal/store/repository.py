"""Reading records: the journal's get_* and list queries, typed with `col()` so the type checker sees columns.

`JournalpostFilter` is the one description of "which journalposts" (the list endpoint, and
later exports and the Noark 5 interface): it becomes a `Select` here and nowhere else.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import ColumnElement, Select, and_, extract, false, func, literal, not_, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalposttype, Journalstatus

from ..errors import NotFound
from ..models import (
    Avskrivning,
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Journalpost,
    Klasse,
    Korrespondansepart,
    Rettighet,
    Saksmappe,
)


async def get_saksmappe(session: AsyncSession, saksmappe_id: UUID) -> Saksmappe:
    saksmappe = await session.get(Saksmappe, saksmappe_id)
    if saksmappe is None:
        raise NotFound("No saksmappe has this systemID.")
    return saksmappe


async def get_journalpost(session: AsyncSession, journalpost_id: UUID) -> Journalpost:
    journalpost = await session.get(Journalpost, journalpost_id)
    if journalpost is None:
        raise NotFound("No journalpost has this systemID.")
    return journalpost


async def journalpost_and_case(session: AsyncSession, journalpost_id: UUID) -> tuple[Journalpost, Saksmappe]:
    """A journalpost with its case in one round trip (a check before a write needs both)."""
    row = (await session.execute(select(Journalpost, Saksmappe).join(
        Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id)).where(
        col(Journalpost.system_id) == journalpost_id))).one_or_none()
    if row is None:
        raise NotFound("No journalpost has this systemID.")
    return row[0], row[1]


async def journalposter_in_case(session: AsyncSession, saksmappe_id: UUID) -> list[Journalpost]:
    """The case's journalposts in journalpostnummer order."""
    query = select(Journalpost).where(col(Journalpost.saksmappe_id) == saksmappe_id).order_by(
        col(Journalpost.journalpostnummer))
    return list((await session.execute(query)).scalars())


@dataclass(frozen=True)
class JournalpostFilter:
    """Which journalposts: each given field narrows the set (codes as the bare Noark code)."""

    journalaar: int | None = None
    journalstatus: str | None = None
    journalposttype: str | None = None
    administrativ_enhet: UUID | None = None
    saksbehandler: UUID | None = None
    fra: date | None = None
    til: date | None = None
    # The Noark 5 interface's OData filter, all of which must hold: each a comparison
    # (field, operator, value), or ("and"|"or", parts), or ("not", part). Fields and
    # operators are names from the fixed maps below; values become bound parameters.
    conditions: tuple[tuple[Any, ...], ...] = ()
    # Sort keys (field, descending) before the journal number; none: newest journal number first.
    order: tuple[tuple[str, bool], ...] = ()

    def where(self) -> list[ColumnElement[bool]]:
        """The conditions, on journalpost's columns alone (a count needs no join)."""
        wanted: list[ColumnElement[bool]] = []
        for column, value in ((col(Journalpost.journalaar), self.journalaar),
                              (col(Journalpost.journalstatus), self.journalstatus),
                              (col(Journalpost.journalposttype), self.journalposttype),
                              (col(Journalpost.administrativ_enhet_id), self.administrativ_enhet),
                              (col(Journalpost.saksbehandler_id), self.saksbehandler)):
            if value is not None:
                wanted.append(col(column) == value)
        if self.fra is not None:
            wanted.append(col(Journalpost.journaldato) >= self.fra)
        if self.til is not None:
            wanted.append(col(Journalpost.journaldato) <= self.til)
        if self.fra is not None and self.til is not None and self.fra.year == self.til.year:
            # A range within one year names that year too, in the very expression of journal_0014's
            # index: PostgreSQL then reads the year's journalposts from it in the list's order,
            # instead of walking the journal number index from the newest journalpost back to an
            # older range (about 300 ms at a million). The same rows: the year follows from the dates.
            wanted.append(_FILTERABLE["journaldato_year"] == self.fra.year)
        wanted += [_condition(condition, _FILTERABLE) for condition in self.conditions]
        return wanted

    def order_by(self) -> list[Any]:
        keys = [_ORDERABLE[field].desc() if descending else _ORDERABLE[field].asc() for field, descending in self.order]
        return [*keys, col(Journalpost.journalaar).desc(), col(Journalpost.journalsekvensnummer).desc()]

    def select(self) -> Select[Journalpost, Saksmappe]:
        """Journalposts with their case, newest journal number first."""
        query = select(Journalpost, Saksmappe).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
        return query.where(*self.where()).order_by(*self.order_by())


_FILTERABLE: dict[str, Any] = {
    "journalstatus": col(Journalpost.journalstatus), "journalposttype": col(Journalpost.journalposttype),
    "journalaar": col(Journalpost.journalaar), "journaldato": col(Journalpost.journaldato),
}
_ORDERABLE: dict[str, Any] = {
    "journaldato": col(Journalpost.journaldato), "journalaar": col(Journalpost.journalaar),
    "journalsekvensnummer": col(Journalpost.journalsekvensnummer),
}
_COMPARISONS: dict[str, Any] = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "lt": operator.lt,
                                "ge": operator.ge, "le": operator.le}
# The Noark 5 title functions match the public title (screened words already replaced), the
# text a bound parameter with LIKE's wildcards escaped.
_FILTERABLE["offentlig_tittel"] = col(Journalpost.offentlig_tittel)
_COMPARISONS["contains"] = lambda column, text: column.contains(text, autoescape=True)
_COMPARISONS["startswith"] = lambda column, text: column.startswith(text, autoescape=True)
_COMPARISONS["endswith"] = lambda column, text: column.endswith(text, autoescape=True)
# OData's month() and day() of the journaldato (EXTRACT, or strftime on SQLite).
_FILTERABLE["journaldato_month"] = extract("month", col(Journalpost.journaldato))
_FILTERABLE["journaldato_day"] = extract("day", col(Journalpost.journaldato))
# OData's year(journaldato) eq/ne: the very expression of journal_0014's index
# ix_journalpost_aar_av_dato (year, journalaar, journalsekvensnummer), so PostgreSQL reads a
# year's journalposts from it in the list's order.
_FILTERABLE["journaldato_year"] = extract("year", col(Journalpost.journaldato))


def _condition(node: tuple[Any, ...], fields: dict[str, Any]) -> ColumnElement[bool]:
    if node[0] in ("and", "or"):
        parts = [_condition(part, fields) for part in node[1]]
        return and_(*parts) if node[0] == "and" else or_(*parts)
    if node[0] == "not":
        return not_(_condition(node[1], fields))
    if node[0] == "constant":  # a title function the database cannot decide (noark5/row_filter.py)
        return true() if node[1] else false()
    field, op, value = node
    condition: ColumnElement[bool] = _COMPARISONS[op](fields[field], value)
    return condition


async def journalposter(session: AsyncSession, wanted: JournalpostFilter, *, skip: int, top: int
                        ) -> list[tuple[Journalpost, Saksmappe]]:
    rows = (await session.execute(wanted.select().offset(skip).limit(top))).all()
    return [(journalpost, saksmappe) for journalpost, saksmappe in rows]


@dataclass(frozen=True)
class SaksmappeFilter:
    """Which cases: those of one arkivdel or classified under one klasse when given, and the
    Noark 5 interface's OData conditions and sort keys (shaped as `JournalpostFilter`'s)."""

    arkivdel_id: UUID | None = None
    klasse_id: UUID | None = None
    conditions: tuple[tuple[Any, ...], ...] = ()
    order: tuple[tuple[str, bool], ...] = ()

    def where(self) -> list[ColumnElement[bool]]:
        wanted = [_condition(condition, _CASE_FILTERABLE) for condition in self.conditions]
        if self.arkivdel_id is not None:
            wanted.append(col(Saksmappe.arkivdel_id) == self.arkivdel_id)
        if self.klasse_id is not None:
            wanted.append(col(Saksmappe.klasse_id) == self.klasse_id)
        return wanted

    def order_by(self) -> list[Any]:
        keys = [_CASE_FILTERABLE[field].desc() if descending else _CASE_FILTERABLE[field].asc()
                for field, descending in self.order]
        return [*keys, col(Saksmappe.saksaar).desc(), col(Saksmappe.sakssekvensnummer).desc()]

    def select(self) -> Select[Saksmappe]:
        """The cases, by the sort keys and then newest case number first."""
        return select(Saksmappe).where(*self.where()).order_by(*self.order_by())


# The case list's OData fields; the title functions match the public title, as for journalposts.
_CASE_FILTERABLE: dict[str, Any] = {name: col(getattr(Saksmappe, name)) for name in (
    "saksaar", "sakssekvensnummer", "saksdato", "mappe_id", "saksstatus", "administrativ_enhet_id",
    "saksansvarlig_id", "system_id", "opprettet_dato", "offentlig_tittel")}
_CASE_FILTERABLE["saksdato_month"] = extract("month", col(Saksmappe.saksdato))
_CASE_FILTERABLE["saksdato_day"] = extract("day", col(Saksmappe.saksdato))


async def count(session: AsyncSession, wanted: JournalpostFilter | SaksmappeFilter, *, at_most: int) -> int:
    """How many records the filter selects, counted up to `at_most` (a larger list answers `at_most`):
    one `count(*)` over the list's conditions, no join, stopping at the bound.

    In the list's order, so that PostgreSQL walks the index the page itself was read from:
    unordered, a LIMIT made it expect the matches early in the table (a year's journalposts
    at the end of a table filled in date order were looked for from its start)."""
    table = Journalpost if isinstance(wanted, JournalpostFilter) else Saksmappe
    selected = (select(literal(1)).select_from(table).where(*wanted.where()).order_by(*wanted.order_by())
                .limit(at_most).subquery())
    return int((await session.execute(select(func.count()).select_from(selected))).scalar_one())


def saksmapper_select(*, skip: int, top: int, arkivdel_id: UUID | None = None,
                      klasse_id: UUID | None = None, wanted: SaksmappeFilter | None = None) -> Select[Saksmappe]:
    """Cases, newest case number first; those of one arkivdel or classified under one klasse when given."""
    wanted = wanted or SaksmappeFilter()
    return replace(wanted, arkivdel_id=arkivdel_id, klasse_id=klasse_id).select().offset(skip).limit(top)


async def saksmapper(session: AsyncSession, *, skip: int, top: int, arkivdel_id: UUID | None = None,
                     klasse_id: UUID | None = None, wanted: SaksmappeFilter | None = None) -> list[Saksmappe]:
    return list((await session.execute(saksmapper_select(skip=skip, top=top, arkivdel_id=arkivdel_id,
                                                         klasse_id=klasse_id, wanted=wanted))).scalars())


async def dokumentbeskrivelser(session: AsyncSession, journalpost_ids: list[UUID]) -> dict[UUID, list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]]]:
    if not journalpost_ids:
        return {}
    beskrivelser = list((await session.execute(select(Dokumentbeskrivelse).where(
        col(Dokumentbeskrivelse.journalpost_id).in_(journalpost_ids))
        .order_by(col(Dokumentbeskrivelse.dokumentnummer)))).scalars())
    objekter = list((await session.execute(select(Dokumentobjekt).where(
        col(Dokumentobjekt.dokumentbeskrivelse_id).in_([b.system_id for b in beskrivelser]))
        .order_by(col(Dokumentobjekt.versjonsnummer), col(Dokumentobjekt.variantformat)))).scalars()) if beskrivelser else []
    result: dict[UUID, list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]]] = {}
    for beskrivelse in beskrivelser:
        result.setdefault(beskrivelse.journalpost_id, []).append(
            (beskrivelse, [o for o in objekter if o.dokumentbeskrivelse_id == beskrivelse.system_id]))
    return result


async def klasse_by_id(session: AsyncSession, system_id: UUID, klasse_id: str) -> Klasse | None:
    query = select(Klasse).where(col(Klasse.klassifikasjonssystem_id) == system_id, col(Klasse.klasse_id) == klasse_id)
    return (await session.execute(query)).scalar_one_or_none()


def needs_sign_off() -> tuple[ColumnElement[bool], ...]:
    """Journalposts that must be signed off: incoming, and internal notes needing follow-up."""
    signed = select(col(Avskrivning.journalpost_id))
    return (
        col(Journalpost.journalposttype).in_([Journalposttype.I.kode, Journalposttype.N.kode]),
        col(Journalpost.journalstatus) != Journalstatus.U.kode,
        col(Journalpost.system_id).not_in(signed),
    )


async def unsigned_in_case(session: AsyncSession, saksmappe_id: UUID) -> list[int]:
    query = select(col(Journalpost.journalpostnummer)).where(col(Journalpost.saksmappe_id) == saksmappe_id, *needs_sign_off())
    return sorted((await session.execute(query)).scalars())


async def known_units(session: AsyncSession) -> list[UUID]:
    """The administrative units the rights read model names (a person's own, and those led),
    in systemID order: the units the journal knows from the access service."""
    units: set[UUID] = set()
    for unit_id, led in (await session.execute(select(col(Rettighet.unit_id), col(Rettighet.led_unit_ids)))).all():
        if unit_id is not None:
            units.add(unit_id)
        units.update(UUID(u) for u in led or [])
    return sorted(units, key=str)


def _current(rows: list[Rettighet], at: date) -> Rettighet:
    """A person's rights on `at`: the newest period begun by then, else the first to come."""
    begun = [r for r in rows if r.valid_from <= at]
    return max(begun, key=lambda r: r.valid_from) if begun else min(rows, key=lambda r: r.valid_from)


async def known_persons(session: AsyncSession, *, at: date, skip: int, top: int) -> list[Rettighet]:
    """A page of the persons the rights read model knows, in person id order, each with its rights on `at`."""
    ids = list((await session.execute(select(col(Rettighet.person_id)).distinct()
                                      .order_by(col(Rettighet.person_id)).offset(skip).limit(top))).scalars())
    rows = (await session.execute(select(Rettighet).where(col(Rettighet.person_id).in_(ids)))).scalars()
    by_person: dict[UUID, list[Rettighet]] = {}
    for row in rows:
        by_person.setdefault(row.person_id, []).append(row)
    return [_current(by_person[person_id], at) for person_id in ids]


async def known_person(session: AsyncSession, person_id: UUID, *, at: date) -> Rettighet:
    rows = list((await session.execute(select(Rettighet).where(col(Rettighet.person_id) == person_id))).scalars())
    if not rows:
        raise NotFound("No bruker has this systemID.")
    return _current(rows, at)


async def endringslogg_owner(session: AsyncSession, row_id: UUID) -> UUID:
    """The saksmappe or journalpost whose change log holds the row (a party's rows are its journalpost's)."""
    row = await session.get(Endringslogg, row_id)
    if row is not None:
        record = row.referanse_arkivenhet
        if await session.get(Journalpost, record) is not None or await session.get(Saksmappe, record) is not None:
            return record
        party = await session.get(Korrespondansepart, record)
        if party is not None:
            return party.journalpost_id
    raise NotFound("No endringslogg entry of a saksmappe or journalpost has this systemID.")
