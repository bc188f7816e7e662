"""OData `contains(tittel,'…')`, `startswith(tittel,'…')` and `endswith(tittel,'…')` on the Noark 5 journalpost list:
matched only against the title the caller may see, so a screened title is never found by
its hidden words; the same set as our own search for the same word.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any

from .conftest import UNIT, Journal
from .test_noark5_api import (
    _arkivar_leser_and_case,
    _get,
    _list_href,
    _new_journalpost,
    _package,
    _screened_journalpost,
    rel,
)


async def test_title_functions_match_only_what_the_caller_may_see(journal: Journal) -> None:
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    ids: dict[str, str] = {}
    for tittel in ("Søknad om garasje", "Klage på vedtak om garasje", "Søknad om tilbygg", "Melding om feiing 100%"):
        created = await _new_journalpost(journal, arkivar, saksmappe, tittel=tittel)
        assert created.status_code == 201, created.text
        ids[tittel] = created.json()["systemID"]
    screened = await _screened_journalpost(journal, arkivar, saksmappe, "Søknad fra Hemmeligsen om garasje")
    assert screened.status_code == 201, screened.text
    ids["screened"] = screened.json()["systemID"]
    href = _list_href((await _package(journal, leser, "sakarkiv"))["_links"], "sakarkiv/journalpost")

    async def odata(headers: dict[str, str], filter_: str) -> set[str]:
        response = await journal.client.get(href, params={"$filter": filter_}, headers=headers)
        assert response.status_code == 200, response.text
        assert "Hemmeligsen" not in str(response.json()["results"]) or headers is arkivar
        return {row["systemID"] for row in response.json()["results"]}

    async def own_search(headers: dict[str, str], q: str) -> set[str]:
        response = await journal.client.get("/sok", params={"q": q, "$top": 100}, headers=headers)
        assert response.status_code == 200, response.text
        return {row["systemID"] for row in response.json()["results"]}

    garasje = {ids["Søknad om garasje"], ids["Klage på vedtak om garasje"], ids["screened"]}
    # The public words of a screened title are found (it is listed masked); the hidden word is not.
    assert await odata(leser, "contains(tittel,'garasje')") == garasje == await own_search(leser, "garasje")
    assert await odata(leser, "contains(tittel,'tilbygg')") == {ids["Søknad om tilbygg"]} \
        == await own_search(leser, "tilbygg")
    assert await odata(leser, "contains(tittel,'Hemmeligsen')") == set() == await own_search(leser, "Hemmeligsen")
    assert await odata(leser, "startswith(tittel,'Hemmeligsen')") == set()
    assert await odata(leser, "endswith(tittel,'om garasje')") == garasje
    assert await odata(leser, "endswith(tittel,'garasje') and journalposttype/kode eq 'I'") == garasje
    assert await odata(arkivar, "endswith(tittel,'Hemmeligsen om garasje')") == set()
    assert await odata(leser, "endswith(tittel,'100%')") == {ids["Melding om feiing 100%"]}
    # Matched against the title as shown, mask and all (it says no more than the list does).
    assert await odata(leser, "contains(tittel,'fra *****')") == {ids["screened"]}
    # Matching is on the public title for everyone, so the hidden word is not found through this
    # interface even by a caller cleared to read it (our own search finds it for them).
    assert await odata(arkivar, "contains(tittel,'Hemmeligsen')") == set()

    assert await odata(leser, "startswith(tittel,'Søknad')") == {
        ids["Søknad om garasje"], ids["Søknad om tilbygg"], ids["screened"]}
    assert await odata(leser, "startswith(tittel,'garasje')") == set()
    assert await odata(leser, "contains(tittel,'søknad')") == set(), "case-sensitive, as OData's contains"
    assert await odata(leser, "contains(tittel,'100%')") == {ids["Melding om feiing 100%"]}
    assert await odata(leser, "contains(tittel,'0_')") == set(), "LIKE wildcards are plain characters"
    assert await odata(leser, "contains(tittel,'garasje') and startswith(tittel,'Klage')") == {
        ids["Klage på vedtak om garasje"]}
    assert await odata(leser, "journalposttype/kode eq 'U' and contains(tittel,'garasje')") == set()

    # Under or and not each row is decided by the whole filter, the title as for the and above.
    others = {ids["Søknad om tilbygg"], ids["Melding om feiing 100%"]}
    for headers in (leser, arkivar):
        assert await odata(headers, "not contains(tittel,'garasje')") == others
        assert await odata(headers, "not endswith(tittel,'garasje') and not journalposttype/kode eq 'U'") == others
        assert await odata(headers, "contains(tittel,'tilbygg') or contains(tittel,'feiing')") == others
        assert await odata(headers, "contains(tittel,'Hemmeligsen') or startswith(tittel,'Melding')") == {
            ids["Melding om feiing 100%"]}
        assert await odata(headers, "not contains(tittel,'Hemmeligsen')") == set(ids.values())
        assert await odata(headers, "contains(tittel,'garasje') or journalposttype/kode eq 'U'") == garasje
        assert await odata(headers, "not (contains(tittel,'garasje') or contains(tittel,'100%'))") == {
            ids["Søknad om tilbygg"]}
    assert await odata(leser, "contains(tittel,'fra *****') or contains(tittel,'tilbygg')") == {
        ids["screened"], ids["Søknad om tilbygg"]}

    refused: list[dict[str, Any]] = [
        {"$filter": "contains(offentligTittel,'garasje')"},
        {"$filter": "contains(tittel,'')"},
        {"$filter": "contains(tittel,garasje)"},
        {"$filter": "contains(tittel,'garasje') eq true"},
    ]
    for params in refused:
        response = await journal.client.get(href, params=params, headers=leser)
        assert response.status_code == 400, (params, response.text)
        assert response.json()["feil"]["kode"] == 400 and "garasje" not in response.json()["detail"]


async def test_a_page_filtered_by_title_still_pages_on(journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    arkivar = journal.person("arkivar")
    sakarkiv = await _package(journal, arkivar, "sakarkiv")
    saksmappe = (await journal.client.post(sakarkiv["_links"][rel("sakarkiv/ny-saksmappe")]["href"], headers=arkivar,
                                           json={"tittel": "Byggesak", "administrativEnhet": str(UNIT)})).json()
    wanted = set()
    for number in range(5):
        created = await _new_journalpost(journal, arkivar, saksmappe, tittel=f"Søknad om garasje {number}")
        wanted.add(created.json()["systemID"])
    href = _list_href(sakarkiv["_links"], "sakarkiv/journalpost")
    seen: list[str] = []
    next_href: str | None = f"{href}?$top=2&$filter=startswith(tittel,'Søknad')"
    while next_href:
        page = (await _get(journal, next_href, arkivar)).json()
        seen += [row["systemID"] for row in page["results"]]
        next_href = page["_links"].get("next", {}).get("href")
    assert sorted(seen) == sorted(wanted)
