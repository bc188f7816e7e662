"""A Noark 5 list decides each record exactly as reading that record alone does.

The lists read a page's access groups, case handlers, klasser, parts and screened words once
for the page (visibility.saksmapper, visibility.journalposter); these tests hold them to the
single reads: for each caller, a case or journalpost is in the list if and only if the
caller may read it alone, and is rendered the same (masked or in full). The callers: an
arkivar cleared for code 6, a case handler without clearance who handles a journalpost in
the screened case (so the case's handlers decide), another case handler without clearance,
a reader, and a fagsystem.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any

from .conftest import FNR, UNIT, Journal, incoming
from .test_noark5_api import SKJERMING, _get, _list_href, _new_journalpost, _package

KLIENT = {"partNavn": "Kari Klientsen", "foedselsnummer": FNR}


def _without_remarks(rendered: dict[str, Any]) -> dict[str, Any]:
    # A single read of a case carries its remarks; a list leaves them to the case's own read.
    return {key: value for key, value in rendered.items() if key != "merknad"}


async def _cases(journal: Journal) -> tuple[dict[str, dict[str, str]], list[str]]:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    handler = await journal.grant("behandler", roles=["saksbehandler"])
    await journal.grant("annen", roles=["saksbehandler"])
    await journal.grant("leser", roles=["lesetilgang"])
    callers = {name: journal.person(name) for name in ("arkivar", "behandler", "annen", "leser")}
    callers["fagsystem"] = journal.fagsystem()
    arkivar = callers["arkivar"]
    href = (await _package(journal, arkivar, "sakarkiv"))["_links"]["https://rel.arkivverket.no/noark5/v5/api/"
                                                                    "sakarkiv/ny-saksmappe/"]["href"]
    cases = []
    for body in ({"tittel": "Byggesak Storgata 1"},
                 {"tittel": "Kari Klientsen - bolig", "skjermedeOrd": ["Kari Klientsen"], "klient": KLIENT,
                  "skjerming": SKJERMING},
                 {"tittel": "Skjenkebevilling", "skjerming": SKJERMING}):
        created = await journal.client.post(href, json={"administrativEnhet": str(UNIT), **body}, headers=arkivar)
        assert created.status_code == 201, created.text
        cases.append(created.json())
    # The case handler of a journalpost in the screened client case, and one in the open case.
    for saksmappe in cases[:2]:
        registered = await _new_journalpost(journal, arkivar, saksmappe, saksbehandler=str(handler),
                                            **{k: v for k, v in incoming().items() if k != "journalposttype"})
        assert registered.status_code == 201, registered.text
    screened = await _new_journalpost(journal, arkivar, cases[2], tittel="Søknad fra Hemmeligsen",
                                      skjermedeOrd=["Hemmeligsen"], skjerming=SKJERMING)
    assert screened.status_code == 201, screened.text
    return callers, [c["_links"]["self"]["href"] for c in cases]


async def test_the_case_list_shows_each_case_as_its_own_read_does(journal: Journal) -> None:
    callers, case_hrefs = await _cases(journal)
    seen_masked = seen_full = 0
    for name, headers in callers.items():
        listed = {row["systemID"]: row for row in (await _get(journal, _list_href(
            (await _package(journal, headers, "sakarkiv"))["_links"], "sakarkiv/saksmappe"), headers)).json()["results"]}
        for href in case_hrefs:
            alone = await journal.client.get(href, headers={"Accept": "application/json", **headers})
            if alone.status_code != 200:
                assert alone.status_code in (403, 404), alone.text
                assert href.rstrip("/").rsplit("/", 1)[1] not in listed, (name, href)
                continue
            read = alone.json()
            assert _without_remarks(listed[read["systemID"]]) == _without_remarks(read), (name, href)
            seen_masked += read["erSkjermetForDeg"] is True
            seen_full += read["erSkjermetForDeg"] is False
    assert seen_masked and seen_full  # both renderings were compared
    # The handler of a journalpost in the screened client case sees the client's name; another does not.
    for name, shown in (("behandler", True), ("annen", False)):
        page = (await _get(journal, _list_href((await _package(journal, callers[name], "sakarkiv"))["_links"],
                                               "sakarkiv/saksmappe"), callers[name])).json()
        assert ("Kari Klientsen" in str(page)) is shown, name


async def test_the_journalpost_list_shows_each_journalpost_as_its_own_read_does(journal: Journal) -> None:
    callers, _cases_hrefs = await _cases(journal)
    for name, headers in callers.items():
        page = (await _get(journal, _list_href((await _package(journal, headers, "sakarkiv"))["_links"],
                                               "sakarkiv/journalpost"), headers)).json()["results"]
        assert page, name
        for row in page:
            alone = (await _get(journal, row["_links"]["self"]["href"], headers)).json()
            # The list leaves the documents to each journalpost's own read.
            assert {k: v for k, v in row.items() if k != "dokumentbeskrivelse"} == \
                {k: v for k, v in alone.items() if k != "dokumentbeskrivelse"}, (name, row["systemID"])
