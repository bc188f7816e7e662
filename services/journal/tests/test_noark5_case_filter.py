"""OData `$filter` and `$orderby` on the Noark 5 saksmappe lists (the whole list and an arkivdel's
`mappe`): each path and operator, refused filters, and the same set as our own case list.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import postgresql

from arkiv5_journal.noark5 import odata, row_filter
from arkiv5_journal.store import repository

from .conftest import UNIT, Journal
from .test_noark5_api import _get, _handler, _list_href, _new_case, _package, rel

DAYS = [date(2024, 2, 29), date(2025, 1, 1), date(2025, 6, 15), date(2025, 12, 31), date(2026, 3, 9)]
TITLES = ["Byggesak Storgata 1", "Klage på byggesak", "Søknad om skjenkebevilling", "Byggesak Fjordveien 2",
          "Søknad om byggesak"]


async def _cases(journal: Journal) -> tuple[dict[str, str], str, list[dict[str, Any]]]:
    headers, person = await _handler(journal)
    cases = []
    for saksdato, tittel in zip(DAYS, TITLES, strict=True):
        created = await _new_case(journal, headers, person, tittel=tittel, saksdato=saksdato.isoformat())
        assert created.status_code == 201, created.text
        cases.append(created.json())
    return headers, person, cases


async def test_each_path_and_operator_selects_the_cases(journal: Journal) -> None:
    headers, person, cases = await _cases(journal)
    links = (await _package(journal, headers, "sakarkiv"))["_links"]
    assert links[rel("sakarkiv/saksmappe")]["href"].endswith("{?$filter,$orderby,$top,$skip}")
    href = _list_href(links, "sakarkiv/saksmappe")
    by_title = {case["tittel"]: case for case in cases}
    year = cases[0]["saksaar"]
    first, last = min(c["sakssekvensnummer"] for c in cases), max(c["sakssekvensnummer"] for c in cases)

    async def titles(filter_: str, **options: str) -> set[str]:
        response = await journal.client.get(href, params={"$filter": filter_, **options}, headers=headers)
        assert response.status_code == 200, (filter_, response.text)
        return {row["tittel"] for row in response.json()["results"]}

    everything = set(TITLES)
    assert await titles(f"saksaar eq {year}") == everything
    assert await titles(f"saksaar ne {year} or saksaar gt {year}") == set()
    assert await titles(f"sakssekvensnummer ge {first} and sakssekvensnummer lt {first + 2}") == set(TITLES[:2])
    assert await titles(f"sakssekvensnummer gt {last - 1}") == {TITLES[-1]}
    assert await titles(f"sakssekvensnummer le {first}") == {TITLES[0]}
    assert await titles("saksdato eq 2025-06-15") == {TITLES[2]}
    assert await titles("saksdato ge 2025-01-01 and saksdato lt 2026-01-01") == set(TITLES[1:4])
    assert await titles("saksdato gt 2025-12-31 or saksdato le 2024-02-29") == {TITLES[0], TITLES[4]}
    assert await titles("year(saksdato) eq 2025") == set(TITLES[1:4])
    assert await titles("year(saksdato) ne 2025") == {TITLES[0], TITLES[4]}
    assert await titles("year(saksdato) gt 2024 and year(saksdato) le 2025") == set(TITLES[1:4])
    assert await titles("year(saksdato) lt 2025 or year(saksdato) ge 2026") == {TITLES[0], TITLES[4]}
    assert await titles("month(saksdato) eq 2 and day(saksdato) eq 29") == {TITLES[0]}
    assert await titles("month(saksdato) gt 6 or day(saksdato) eq 9") == {TITLES[3], TITLES[4]}
    assert await titles("not day(saksdato) ne 1") == {TITLES[1]}
    assert await titles("contains(tittel,'byggesak')") == {TITLES[1], TITLES[4]}
    assert await titles("startswith(tittel,'Byggesak') and saksdato lt 2025-01-01") == {TITLES[0]}
    assert await titles("endswith(tittel,'2')") == {TITLES[3]}
    assert await titles("contains(tittel,'byggesak') or saksdato eq 2025-06-15") == {TITLES[1], TITLES[2], TITLES[4]}
    assert await titles("not startswith(tittel,'Byggesak')") == {TITLES[1], TITLES[2], TITLES[4]}
    assert await titles("not (endswith(tittel,'1') or contains(tittel,'Søknad')) and saksaar eq "
                        f"{year}") == {TITLES[1], TITLES[3]}
    assert await titles("saksstatus/kode eq 'B'") == everything
    assert await titles("saksstatus/kode ne 'B'") == set()
    assert await titles(f"administrativEnhet eq '{UNIT}'") == everything
    assert await titles(f"saksansvarlig eq '{person}' and not administrativEnhet ne '{UNIT}'") == everything
    assert await titles(f"mappeID eq '{by_title[TITLES[2]]['mappeID']}'") == {TITLES[2]}
    assert await titles(f"systemID eq '{by_title[TITLES[3]]['systemID']}' or mappeID eq 'x'") == {TITLES[3]}
    today = date.fromisoformat(cases[0]["opprettetDato"][:10])
    assert await titles(f"opprettetDato ge {(today - timedelta(days=1)).isoformat()}") == everything
    assert await titles(f"opprettetDato gt {(today + timedelta(days=1)).isoformat()}") == set()
    assert await titles(f"year(opprettetDato) ge {today.year - 1}") == everything
    assert await titles(f"year(opprettetDato) lt {today.year - 1}") == set()

    # With a title function each row is decided by the title as shown: count is what the pages
    # so far hold, plus one while `next` continues.
    first_page = (await journal.client.get(href, params={"$filter": "startswith(tittel,'Byggesak')", "$top": 1},
                                           headers=headers)).json()
    assert first_page["count"] == 2 and len(first_page["results"]) == 1
    last_page = (await _get(journal, first_page["_links"]["next"]["href"], headers)).json()
    assert last_page["count"] == 2 and "next" not in last_page["_links"]

    async def order(orderby: str) -> list[str]:
        response = await journal.client.get(href, params={"$orderby": orderby}, headers=headers)
        assert response.status_code == 200, response.text
        return [row["tittel"] for row in response.json()["results"]]

    assert await order("saksdato") == TITLES
    assert await order("saksdato desc") == TITLES[::-1]
    assert await order("saksaar desc, sakssekvensnummer asc") == TITLES
    assert await order("opprettetDato desc") == TITLES[::-1]
    assert await order("sakssekvensnummer") == TITLES

    for refused in ({"$filter": "tittel eq 'x'"}, {"$filter": "journalaar eq 2026"},
                    {"$filter": "saksaar eq 'x'"},
                    {"$filter": "administrativEnhet eq 'no-uuid'"}, {"$filter": "saksstatus/kode gt 'A'"},
                    {"$filter": "month(opprettetDato) eq 1"}, {"$filter": "month(saksdato) eq 13"},
                    {"$filter": "year(saksaar) eq 2026"}, {"$filter": "saksdato eq 'x'"},
                    {"$filter": "hour(saksdato) eq 1"}, {"$orderby": "tittel"}, {"$orderby": "saksdato up"},
                    {"$filter": "x" * 2001}, {"$expand": "part"}):
        response = await journal.client.get(href, params=refused, headers=headers)
        assert response.status_code == 400, (refused, response.text)
        assert response.json()["feil"]["kode"] == 400 and response.json()["detail"]


async def test_an_arkivdels_cases_take_the_filter_and_page_with_it(journal: Journal) -> None:
    headers, _person, _cases_made = await _cases(journal)
    arkivstruktur = await _package(journal, headers, "arkivstruktur")
    arkivdeler = (await _get(journal, _list_href(arkivstruktur["_links"], "arkivstruktur/arkivdel"), headers)).json()
    mappe = arkivdeler["results"][0]["_links"][rel("arkivstruktur/mappe")]
    assert mappe["templated"] is True and mappe["href"].endswith("{?$filter,$orderby,$top,$skip}")
    seen: list[str] = []
    next_href: str | None = mappe["href"].split("{")[0] + "?$top=3&$orderby=saksdato&$filter=saksdato ge 2025-01-01"
    while next_href:
        page = (await _get(journal, next_href, headers)).json()
        assert page["count"] == 4  # the filtered total, on every page
        seen += [row["tittel"] for row in page["results"]]
        next_href = page["_links"].get("next", {}).get("href")
    assert seen == TITLES[1:]


async def test_a_filter_finds_the_same_cases_as_our_own_list(journal: Journal) -> None:
    """Property: for random date ranges, `saksdato ge X and saksdato le Y` on the Noark 5 list and
    `saksdatoFra`/`saksdatoTil` on our own `GET /saksmapper` return the same cases."""
    headers, _person, _cases_made = await _cases(journal)
    href = _list_href((await _package(journal, headers, "sakarkiv"))["_links"], "sakarkiv/saksmappe")
    draw = random.Random(18)
    for _ in range(12):
        fra, til = sorted(date(2024, 1, 1) + timedelta(days=draw.randrange(0, 900)) for _ in range(2))
        noark5 = await journal.client.get(href, headers=headers, params={
            "$filter": f"saksdato ge {fra.isoformat()} and saksdato le {til.isoformat()}"})
        own = await journal.client.get("/saksmapper", headers=headers, params={
            "saksdatoFra": fra.isoformat(), "saksdatoTil": til.isoformat(), "$top": 100})
        assert noark5.status_code == own.status_code == 200, (noark5.text, own.text)
        expected = {c["systemID"] for c in own.json()["results"]}
        assert {c["systemID"] for c in noark5.json()["results"]} == expected, (fra, til)
        assert expected == {c["systemID"] for c in _cases_made if fra.isoformat() <= c["saksdato"] <= til.isoformat()}


def _sql(statement: Any) -> str:
    return str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))


# journal_0016's indexes are PostgreSQL's (SQLite's lists stay small): no SQLite run to skip.
@pytest.mark.parametrize("db_backend", ["postgresql"], indirect=True)
async def test_a_mappeid_and_the_saksdato_order_are_answered_by_their_indexes(journal: Journal, db_backend: Any) -> None:
    await _cases(journal)
    plans = {
        "ix_saksmappe_mappe_id": repository.SaksmappeFilter(
            conditions=odata.parse_filter("mappeID eq '2025/17'", odata.SAKSMAPPE)).select().limit(26),
        "ix_saksmappe_saksdato_nummer": repository.SaksmappeFilter(
            conditions=odata.parse_filter("saksdato ge 2019-03-01", odata.SAKSMAPPE),
            order=odata.parse_orderby("saksdato desc", odata.SAKSMAPPE)).select().limit(26),
    }
    async with journal.runtime.database.engine.connect() as connection:
        # A table of a few rows is read whole; without that choice the planner shows the index.
        await connection.execute(text("SET LOCAL enable_seqscan = off"))
        for index, statement in plans.items():
            plan = "\n".join((await connection.execute(text("EXPLAIN " + _sql(statement)))).scalars())
            assert index in plan, plan
        await connection.rollback()


def test_a_row_is_decided_as_sql_would_with_a_missing_value_unknown() -> None:
    case_ = SimpleNamespace(saksansvarlig_id=None, saksaar=2026, saksdato=date(2026, 3, 9),
                            offentlig_tittel="Byggesak *****", opprettet_dato=datetime(2026, 3, 9, 11))

    def holds(filter_: str, shown: str = "Byggesak *****") -> bool:
        return row_filter.holds(odata.parse_filter(filter_, odata.SAKSMAPPE), case_, shown)

    someone = "00000000-0000-4000-8000-000000000009"
    assert not holds(f"saksansvarlig eq '{someone}' or contains(tittel,'x')")
    assert not holds(f"not saksansvarlig eq '{someone}' or contains(tittel,'x')")  # unknown, as in SQL
    assert holds(f"saksansvarlig ne '{someone}' or contains(tittel,'Bygg')")
    assert holds("not contains(tittel,'Hansen') and month(saksdato) eq 3", shown="Byggesak *****")
    # The public title and the title as shown must both hold the text.
    assert not holds("contains(tittel,'Hansen') or saksaar lt 2000", shown="Byggesak Hansen")
    assert holds("year(opprettetDato) eq 2026 or contains(tittel,'x')")
    assert row_filter.widened(odata.parse_filter("not contains(tittel,'x') or saksaar eq 1", odata.SAKSMAPPE)) == (
        ("or", (("not", ("constant", False)), ("saksaar", "eq", 1))),)
