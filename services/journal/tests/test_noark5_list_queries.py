"""How the Noark 5 lists reach the database: `year(journaldato) eq/ne` as the date's year, and
on PostgreSQL each large list's query answered by its index (journal_0014).

Over 1,000,000 journalposts (bench/bench_noark5_search.py) a year's page, a klasse's cases
and an arkivdel's cases took from 30 to over 300 ms without these indexes; the plan tests
keep the filter's expression and the index's the same, so the index cannot silently stop
being used. Runs on SQLite and PostgreSQL; the plans on PostgreSQL only.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID
from arkiv5_journal.models import Journalpost, Saksmappe
from arkiv5_journal.noark5 import odata
from arkiv5_journal.store import repository

from .conftest import UNIT, Journal, case

NOW = datetime(2026, 12, 6, tzinfo=UTC)


def test_year_eq_and_ne_compare_the_year_and_the_other_operators_the_date() -> None:
    assert odata.parse_filter("year(journaldato) eq 2019") == (("journaldato_year", "eq", 2019),)
    assert odata.parse_filter("year(journaldato) ne 2019") == (("journaldato_year", "ne", 2019),)
    assert odata.parse_filter("year(journaldato) ge 2019") == (("journaldato", "ge", date(2019, 1, 1)),)
    assert odata.parse_filter("year(journaldato) lt 2019") == (("journaldato", "lt", date(2019, 1, 1)),)


async def _journalposts(journal: Journal) -> UUID:
    """A case with a journalpost on the last day of 2018, the first and last of 2019, and the first of 2020
    (written directly: registration dates a journalpost today)."""
    # The first case through the API makes the default arkiv and arkivdel.
    created = await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())
    assert created.status_code == 201, created.text
    saksmappe = Saksmappe(arkivdel_id=DEFAULT_ARKIVDEL_ID, mappe_id="2019/1", saksaar=2019, sakssekvensnummer=1, saksdato=date(2019, 1, 1),
                          tittel="Byggesak", offentlig_tittel="Byggesak", administrativ_enhet_id=UNIT,
                          saksstatus="B", skjerming_metadata=[], siste_journalpostnummer=4, opprettet_dato=NOW,
                          opprettet_av="test")
    async with journal.runtime.database.unit_of_work() as session:
        session.add(saksmappe)
        await session.flush()
        for n, day in enumerate((date(2018, 12, 31), date(2019, 1, 1), date(2019, 12, 31), date(2020, 1, 1)), 1):
            session.add(Journalpost(
                saksmappe_id=saksmappe.system_id, journalaar=day.year, journalsekvensnummer=n, journalpostnummer=n,
                journalposttype="I", journalstatus="J", journaldato=day, tittel=f"Brev {n}",
                offentlig_tittel=f"Brev {n}", er_vedtak=False, administrativ_enhet_id=UNIT, skjerming_metadata=[],
                er_etterregistrert=False, har_forsendelsesfeil=False, opprettet_dato=NOW, opprettet_av="test"))
    return saksmappe.system_id


async def test_year_filters_select_the_years_journalposts(journal: Journal) -> None:
    await _journalposts(journal)

    async def days(filter_: str) -> list[date]:
        wanted = repository.JournalpostFilter(conditions=odata.parse_filter(filter_))
        async with journal.runtime.database.unit_of_work() as session:
            return [j.journaldato for j, _s in await repository.journalposter(session, wanted, skip=0, top=10)]

    assert await days("year(journaldato) eq 2019") == [date(2019, 12, 31), date(2019, 1, 1)]
    assert await days("year(journaldato) ne 2019") == [date(2020, 1, 1), date(2018, 12, 31)]
    assert await days("not year(journaldato) eq 2019") == [date(2020, 1, 1), date(2018, 12, 31)]
    assert await days("year(journaldato) gt 2019") == [date(2020, 1, 1)]
    assert await days("year(journaldato) le 2018") == [date(2018, 12, 31)]


async def test_a_date_range_gives_the_same_journalposts_whether_or_not_it_stays_in_one_year(journal: Journal) -> None:
    await _journalposts(journal)

    async def days(fra: date, til: date) -> list[date]:
        async with journal.runtime.database.unit_of_work() as session:
            return [j.journaldato for j, _s in await repository.journalposter(
                session, repository.JournalpostFilter(fra=fra, til=til), skip=0, top=10)]

    assert await days(date(2019, 1, 1), date(2019, 12, 31)) == [date(2019, 12, 31), date(2019, 1, 1)]
    assert await days(date(2019, 1, 2), date(2019, 12, 31)) == [date(2019, 12, 31)]
    assert await days(date(2019, 6, 1), date(2019, 6, 30)) == []
    assert await days(date(2018, 12, 31), date(2020, 1, 1)) == [
        date(2020, 1, 1), date(2019, 12, 31), date(2019, 1, 1), date(2018, 12, 31)]
    assert await days(date(2019, 12, 31), date(2019, 1, 1)) == []


def _sql(statement: Any) -> str:
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


# journal_0014's indexes are PostgreSQL's (SQLite's lists stay small): no SQLite run to skip.
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_the_large_lists_are_answered_by_their_indexes(journal: Journal, db_backend: Any) -> None:
    await _journalposts(journal)
    some = uuid4()
    plans = [
        ("ix_journalpost_aar_av_dato", repository.JournalpostFilter(
            conditions=odata.parse_filter("year(journaldato) eq 2019")).select().limit(26)),
        # our own API's fra/til within one year
        ("ix_journalpost_aar_av_dato", repository.JournalpostFilter(
            fra=date(2019, 1, 1), til=date(2019, 12, 31)).select().limit(26)),
        ("ix_saksmappe_klasse_nummer", repository.saksmapper_select(skip=0, top=26, klasse_id=some)),
        ("ix_saksmappe_arkivdel_nummer", repository.saksmapper_select(skip=0, top=26, arkivdel_id=some)),
    ]
    async with journal.runtime.database.engine.connect() as connection:
        # A table of a few rows is read whole; without that choice the planner shows which
        # index answers the filter and the order, as it does over a large journal.
        await connection.execute(text("SET LOCAL enable_seqscan = off"))
        await connection.execute(text("SET LOCAL enable_bitmapscan = off"))
        for index, statement in plans:
            plan = "\n".join((await connection.execute(text("EXPLAIN " + _sql(statement)))).scalars())
            assert index in plan, plan
            assert "Sort" not in plan, plan  # the index gives the list's order
        await connection.rollback()
