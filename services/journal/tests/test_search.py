"""Full-text search: titles and parties, filters and paging, and nothing the caller may not see."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from arkiv5_journal.domain.numbering import today_in_oslo
from arkiv5_journal.store import search

from .conftest import FNR, OTHER_UNIT, Journal, _journal, case, incoming


async def _register(journal: Journal, headers: dict[str, str], **overrides: Any) -> str:
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()["systemID"]
    response = await journal.client.post(f"/saksmapper/{saksmappe}/journalposter", json=incoming(**overrides),
                                         headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["systemID"]


async def test_search_finds_titles_and_parties_and_hides_screened_words(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    arkivar = journal.person("arkivar")
    open_post = await _register(journal, arkivar, tittel="Byggesøknad for garasje i Østre Ringvei")
    screened = await _register(journal, arkivar, tittel="Søknad om barnevernstiltak for Ola Hemmelig",
                               skjermedeOrd=["Ola Hemmelig"],
                               skjerming={"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13",
                                          "skjermingMetadata": ["TRO", "NA"]},
                               korrespondansepart=[{"korrespondanseparttype": "EA",
                                                    "korrespondansepartNavn": "Ola Hemmelig", "foedselsnummer": FNR}])
    await journal.grant("leser", roles=["lesetilgang"])
    leser = journal.person("leser")

    async def hits(headers: dict[str, str], **params: Any) -> list[str]:
        response = await journal.client.get("/sok", params=params, headers=headers)
        assert response.status_code == 200, response.text
        return [r["systemID"] for r in response.json()["results"]]

    assert await hits(leser, q="garasje") == [open_post]
    assert await hits(leser, q="østre ringvei") == [open_post]
    assert await hits(leser, q="Nordmann") == [open_post]  # a party's name (the default sender)
    # The screened name: found by the cleared archivist, not found at all by the reader.
    assert await hits(arkivar, q="Hemmelig") == [screened]
    assert await hits(leser, q="Hemmelig") == []
    # The public words of a screened title are found, and shown masked.
    response = await journal.client.get("/sok", params={"q": "barnevernstiltak"}, headers=leser)
    assert [r["systemID"] for r in response.json()["results"]] == [screened]
    assert "Hemmelig" not in response.text and FNR not in response.text

    assert await hits(arkivar, q="søknad", journalposttype="I", journalaar=date.today().year) != []
    assert await hits(arkivar, q="garasje", journalstatus="M") == []
    bad = await journal.client.get("/sok", params={"q": "x", "journalstatus": "Q"}, headers=leser)
    assert bad.status_code == 422 and "journalstatus" in bad.json()["detail"]


async def test_search_pages_newest_first(journal: Journal) -> None:
    headers = journal.fagsystem()
    ids = [await _register(journal, headers, tittel=f"Referat møte {i}") for i in range(5)]
    first = (await journal.client.get("/sok", params={"q": "referat", "$top": 2}, headers=headers)).json()
    second = (await journal.client.get("/sok", params={"q": "referat", "$top": 2, "$skip": 2},
                                       headers=headers)).json()
    assert [r["systemID"] for r in first["results"] + second["results"]] == ids[::-1][:4]



async def _ids(journal: Journal, headers: dict[str, str], **params: Any) -> list[str]:
    response = await journal.client.get("/sok", params=params, headers=headers)
    assert response.status_code == 200, response.text
    return [r["systemID"] for r in response.json()["results"]]


async def test_search_filters_sorts_and_pages(journal: Journal) -> None:
    headers = journal.fagsystem()
    handler = uuid4()
    here = [await _register(journal, headers, tittel=f"Referat fra tilsyn {i}") for i in range(3)]
    there = [await _register(journal, headers, tittel=f"Referat fra tilsyn {i}", administrativEnhet=str(OTHER_UNIT),
                             saksbehandler=str(handler)) for i in range(2)]
    await _register(journal, headers, tittel="Melding om vedtak")
    newest_first = (here + there)[::-1]

    assert await _ids(journal, headers, q="referat tilsyn") == newest_first
    assert await _ids(journal, headers, q="tilsyn referat", sort="journaldato") == here + there
    assert await _ids(journal, headers, q="referat", administrativEnhet=str(OTHER_UNIT)) == there[::-1]
    assert await _ids(journal, headers, q="referat", saksbehandler=str(handler)) == there[::-1]
    assert await _ids(journal, headers, q="referat", saksbehandler=str(uuid4())) == []
    assert await _ids(journal, headers, q="referat vedtak") == []  # every word must match
    today = today_in_oslo()
    assert await _ids(journal, headers, q="referat", fra=today.isoformat(), til=today.isoformat()) == newest_first
    assert await _ids(journal, headers, q="referat", fra=(today + timedelta(days=1)).isoformat()) == []
    assert await _ids(journal, headers, q="referat", til=(today - timedelta(days=1)).isoformat()) == []
    assert await _ids(journal, headers, q="referat", journalaar=today.year - 1) == []
    # Pages of two, oldest first, add up to the whole list: nothing twice, nothing missing.
    pages = [await _ids(journal, headers, q="referat", sort="journaldato", **{"$top": 2, "$skip": skip})
             for skip in (0, 2, 4)]
    assert pages[0] + pages[1] + pages[2] == here + there and len(pages[2]) == 1



@pytest.mark.postgres
async def test_search_window_and_all_hits_give_the_same_pages(
    tmp_path: Path, postgres_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A page comes from a walk of the newest WINDOW rows while it holds enough hits, else from
    all hits (GIN): both give the same pages, and neither shows a hit on screened words only."""
    windows: list[int | None] = []
    query = search._postgres_query

    def spy(*args: Any, window: int | None) -> Any:
        windows.append(window)
        return query(*args, window=window)

    # The walk and the GIN query are PostgreSQL's own: this test has no SQLite half.
    async for journal in _journal(tmp_path, database_url=postgres_database):
        await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
        await journal.grant("leser", roles=["lesetilgang"])
        arkivar, leser = journal.person("arkivar"), journal.person("leser")
        oldest = await _register(journal, arkivar, tittel="Referat om sjelden sak")
        common = [await _register(journal, arkivar, tittel=f"Referat {i}") for i in range(13)]
        screened = await _register(journal, arkivar, tittel="Referat om Ola Hemmelig", skjermedeOrd=["Ola Hemmelig"],
                                   skjerming={"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13",
                                              "skjermingMetadata": ["TRO"]})
        newest_first = [screened, *common[::-1], oldest]

        monkeypatch.setattr(search, "_postgres_query", spy)
        monkeypatch.setattr(search, "WINDOW", 12)  # the 12 newest journalposts

        # $top=1 asks for 11 hits (the page and ten spare): the window holds 12.
        assert await _ids(journal, arkivar, q="referat", **{"$top": 1}) == newest_first[:1]
        assert windows == [12]
        windows.clear()
        assert await _ids(journal, arkivar, q="referat", **{"$top": 1, "$skip": 1}) == newest_first[1:2]
        assert windows == [12]
        windows.clear()
        # Deeper than the window: all hits.
        assert await _ids(journal, arkivar, q="referat", **{"$top": 3, "$skip": 12}) == newest_first[12:15]
        assert windows == [12, None]
        windows.clear()
        # A word outside the window: all hits.
        assert await _ids(journal, arkivar, q="sjelden referat", **{"$top": 1}) == [oldest]
        assert windows == [12, None]
        # The same for the reader: the screened journalpost is found by its public words
        # (masked), never by its screened ones, on either path.
        response = await journal.client.get("/sok", params={"q": "referat", "$top": 1}, headers=leser)
        assert [r["systemID"] for r in response.json()["results"]] == [screened]
        assert "Hemmelig" not in response.text
        assert await _ids(journal, leser, q="hemmelig") == []
        assert await _ids(journal, arkivar, q="hemmelig") == [screened]
        monkeypatch.setattr(search, "WINDOW", 100)
        assert await _ids(journal, leser, q="referat", **{"$top": 100}) == newest_first


async def test_cases_by_saksdato_each_as_the_caller_may_see_it(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    await journal.grant("leder", roles=["leder"])
    arkivar = journal.person("arkivar")
    secret = "Hemmeligsen"
    skjerming = {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13", "skjermingMetadata": ["TMO"]}
    made = {}
    for saksdato, body in (("2021-10-31", case(tittel="Før")), ("2021-11-01", case(tittel="Første dag")),
                           ("2021-12-31", case(tittel=f"Barnevern {secret}", skjermedeOrd=[secret],
                                               skjerming=skjerming)),
                           ("2022-01-01", case(tittel="Etter"))):
        created = await journal.client.post("/saksmapper", json={**body, "saksdato": saksdato}, headers=arkivar)
        assert created.status_code == 201, created.text
        made[saksdato] = created.json()["systemID"]

    window = {"saksdatoFra": "2021-11-01", "saksdatoTil": "2021-12-31"}
    listed = await journal.client.get("/saksmapper", params=window, headers=arkivar)
    assert listed.status_code == 200, listed.text
    assert [r["systemID"] for r in listed.json()["results"]] == [made["2021-11-01"], made["2021-12-31"]]
    assert secret in listed.text
    # Without clearance the screened case is listed masked, as a read by id would show it.
    masked = await journal.client.get("/saksmapper", params=window, headers=journal.person("leder"))
    assert masked.json()["count"] == 2 and secret not in masked.text

    page = await journal.client.get("/saksmapper", params={"saksdatoFra": "2021-11-01", "$top": 1, "$skip": 2},
                                    headers=arkivar)
    assert [r["systemID"] for r in page.json()["results"]] == [made["2022-01-01"]]
    backwards = await journal.client.get("/saksmapper", params={"saksdatoFra": "2022-01-01",
                                                                "saksdatoTil": "2021-01-01"}, headers=arkivar)
    assert backwards.status_code == 422 and backwards.json()["field"] == "saksdatoFra"
    assert (await journal.client.get("/saksmapper", params={"saksdatoFra": "i går"}, headers=arkivar)).status_code == 422
    assert (await journal.client.get("/saksmapper")).status_code == 401
