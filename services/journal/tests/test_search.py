"""Full-text search: titles and parties, filters and paging, and nothing the caller may not see."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from .conftest import FNR, Journal, case, incoming


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


@pytest.mark.postgres
async def test_search_on_postgres(journal_factory: Any, postgres_database: str) -> None:
    async for journal in journal_factory(database_url=postgres_database):
        await test_search_finds_titles_and_parties_and_hides_screened_words(journal)
