"""OData `$search` on the Noark 5 journalpost list: the journal's own full-text search, so the
same hits as our `GET /sok` for the same words and filters, screened words found only by a
caller cleared for them; paging with `next` and the count of hits; refused combinations.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any

from .conftest import Journal
from .test_noark5_api import (
    _arkivar_leser_and_case,
    _get,
    _list_href,
    _new_journalpost,
    _package,
    _screened_journalpost,
    rel,
)

TITLES = ["Søknad om garasje", "Klage på vedtak om garasje", "Søknad om tilbygg", "Garasje og carport, nabovarsel"]


async def _archive(journal: Journal) -> tuple[dict[str, str], dict[str, str], str, dict[str, str]]:
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    ids: dict[str, str] = {}
    for n, tittel in enumerate(TITLES):
        fields: dict[str, Any] = {"tittel": tittel}
        if n == 3:
            fields.update(journalposttype="U", mottattDato=None, korrespondansepart=[
                {"korrespondanseparttype": "EM", "korrespondansepartNavn": "Ola Nabo"}])
        created = await _new_journalpost(journal, arkivar, saksmappe, **fields)
        assert created.status_code == 201, created.text
        ids[tittel] = created.json()["systemID"]
    screened = await _screened_journalpost(journal, arkivar, saksmappe, "Søknad fra Hemmeligsen om garasje")
    assert screened.status_code == 201, screened.text
    ids["screened"] = screened.json()["systemID"]
    links = (await _package(journal, leser, "sakarkiv"))["_links"]
    assert links[rel("sakarkiv/journalpost")]["href"].endswith("{?$filter,$orderby,$top,$skip,$search}")
    return arkivar, leser, _list_href(links, "sakarkiv/journalpost"), ids


async def test_search_finds_the_same_journalposts_as_our_own_search(journal: Journal) -> None:
    """Property: for each caller, word and filter, `$search` (+ `$filter`) and `/sok` (+ its
    parameters) return the same set, screened words found only by the cleared caller."""
    arkivar, leser, href, ids = await _archive(journal)
    year = (await _get(journal, f"{href}?$top=1", leser)).json()["results"][0]["journalaar"]
    combinations: list[tuple[str, str | None, dict[str, Any]]] = [
        ("garasje", None, {}), ("'garasje'", None, {}), ('"søknad garasje"', None, {}), ("Hemmeligsen", None, {}),
        ("Kari Hemmeligsen", None, {}), ("tilbygg", None, {}), ("finnesikke", None, {}),
        ("garasje", "journalposttype/kode eq 'U'", {"journalposttype": "U"}),
        ("garasje", f"journalaar eq {year} and journalstatus/kode eq 'J'", {"journalaar": year, "journalstatus": "J"}),
        ("garasje", f"year(journaldato) eq {year}", {"fra": f"{year}-01-01", "til": f"{year}-12-31"}),
        ("garasje", f"journaldato lt {year}-01-01", {"til": f"{year - 1}-12-31"}),
        ("garasje", "journaldato gt 9999-12-31", {"fra": "9999-12-31", "til": "0001-01-01"}),
        ("garasje", f"journaldato ge {year}-01-01 and journaldato le {year}-12-31",
         {"fra": f"{year}-01-01", "til": f"{year}-12-31"}),
    ]
    for headers in (leser, arkivar):
        for text, filter_, own_params in combinations:
            params = {"$search": text, **({"$filter": filter_} if filter_ else {})}
            noark5 = await journal.client.get(href, params=params, headers=headers)
            own = await journal.client.get("/sok", params={"q": text.strip("'\""), "$top": 100, **own_params},
                                           headers=headers)
            assert noark5.status_code == own.status_code == 200, (noark5.text, own.text)
            found = [row["systemID"] for row in noark5.json()["results"]]
            assert found == [row["systemID"] for row in own.json()["results"]], (text, filter_)
            assert noark5.json()["count"] == len(found)
            if headers is leser:
                assert "Hemmeligsen" not in str(noark5.json()["results"])
    hidden = await journal.client.get(href, params={"$search": "Hemmeligsen"}, headers=leser)
    assert hidden.json()["results"] == [] and hidden.json()["count"] == 0
    cleared = await journal.client.get(href, params={"$search": "Hemmeligsen"}, headers=arkivar)
    assert [row["systemID"] for row in cleared.json()["results"]] == [ids["screened"]]
    public = await journal.client.get(href, params={"$search": "garasje"}, headers=leser)
    assert {row["systemID"] for row in public.json()["results"]} == {
        ids[TITLES[0]], ids[TITLES[1]], ids[TITLES[3]], ids["screened"]}


async def test_search_pages_with_next_and_counts_the_hits(journal: Journal) -> None:
    _arkivar, leser, href, ids = await _archive(journal)
    seen: list[str] = []
    next_href: str | None = f"{href}?$search=garasje&$top=1&$orderby=journaldato asc"
    pages = 0
    while next_href:
        page = (await _get(journal, next_href, leser)).json()
        # The hits, counted up to one page past the page's start.
        assert page["count"] == min(4, len(seen) + 2) and len(page["results"]) <= 1
        seen += [row["systemID"] for row in page["results"]]
        next_href = page["_links"].get("next", {}).get("href")
        pages += 1
    assert pages == 4 and len(set(seen)) == 4 and ids[TITLES[2]] not in seen
    newest = await journal.client.get(href, params={"$search": "garasje"}, headers=leser)
    assert [row["systemID"] for row in newest.json()["results"]] == seen[::-1]
    beyond = await journal.client.get(href, params={"$search": "garasje", "$skip": 10}, headers=leser)
    assert beyond.json()["results"] == [] and beyond.json()["count"] == 4


async def test_what_search_cannot_narrow_by_is_refused_by_name(journal: Journal) -> None:
    _arkivar, leser, href, _ids = await _archive(journal)
    for refused in ({"$search": "garasje", "$filter": "contains(tittel,'x')"},
                    {"$search": "garasje", "$filter": "journalposttype/kode eq 'I' or journalaar eq 2026"},
                    {"$search": "garasje", "$filter": "not journalposttype/kode eq 'I'"},
                    {"$search": "garasje", "$filter": "journalposttype/kode ne 'I'"},
                    {"$search": "garasje", "$filter": "month(journaldato) eq 1"},
                    {"$search": "garasje", "$orderby": "journalsekvensnummer"},
                    {"$search": "garasje", "$skip": "1001"}, {"$search": "''"}, {"$search": "  "}):
        response = await journal.client.get(href, params=refused, headers=leser)
        assert response.status_code == 400, (refused, response.text)
        assert response.json()["feil"]["kode"] == 400 and "$" in response.json()["detail"]
