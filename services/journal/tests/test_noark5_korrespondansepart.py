"""The journalpost's parties as Noark 5 resources: listed from the journalpost's
`korrespondansepart` link, each of its kind (person, enhet, intern) and read by systemID,
masked exactly as in our own API.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from .conftest import FNR, ORGNR, UNIT, Journal
from .test_noark5_api import (
    ACCEPT,
    _arkivar_leser_and_case,
    _get,
    _handler,
    _new_case,
    _new_journalpost,
    _screened_journalpost,
    rel,
)


async def test_the_parties_are_listed_by_kind_and_read_by_system_id(journal: Journal) -> None:
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    parties = [
        {"korrespondanseparttype": "EA", "korrespondansepartNavn": "Kari Nordmann", "foedselsnummer": FNR},
        {"korrespondanseparttype": "EK", "korrespondansepartNavn": "NAV Lindesnes", "organisasjonsnummer": ORGNR},
        {"korrespondanseparttype": "IM", "korrespondansepartNavn": "Byggesak", "administrativEnhet": str(UNIT)},
    ]
    registered = await _new_journalpost(journal, headers, saksmappe, korrespondansepart=parties)
    assert registered.status_code == 201, registered.text
    journalpost = (await _get(journal, registered.json()["_links"]["self"]["href"], headers)).json()

    listed = (await _get(journal, journalpost["_links"][rel("arkivstruktur/korrespondansepart")]["href"],
                         headers)).json()
    assert listed["count"] == 3
    kinds = {}
    for party in listed["results"]:
        [kind] = [key for key in party["_links"] if key != "self" and "korrespondansepart" in key]
        kinds[party["korrespondansepartNavn"]] = kind
        assert party["_links"][rel("arkivstruktur/registrering")]["href"] == journalpost["_links"]["self"]["href"]
        read = await _get(journal, party["_links"]["self"]["href"], headers)
        assert read.json() == party
    assert kinds == {"Kari Nordmann": rel("arkivstruktur/korrespondansepartperson"),
                     "NAV Lindesnes": rel("arkivstruktur/korrespondansepartenhet"),
                     "Byggesak": rel("arkivstruktur/korrespondansepartintern")}
    # The same parties as inside the journalpost.
    assert [{k: v for k, v in p.items() if k != "_links"} for p in listed["results"]] == \
        journalpost["korrespondansepart"]

    person_href = next(p["_links"]["self"]["href"] for p in listed["results"] if p["korrespondansepartNavn"]
                       == "Kari Nordmann")
    wrong_kind = person_href.replace("korrespondansepartperson", "korrespondansepartenhet")
    assert (await journal.client.get(wrong_kind, headers={**ACCEPT, **headers})).status_code == 404
    unknown = person_href.rsplit("/", 2)[0] + "/00000000-0000-4000-8000-00000000abcd/"
    missing = await journal.client.get(unknown, headers={**ACCEPT, **headers})
    assert missing.status_code == 404 and missing.json()["feil"]["kode"] == 404

    # No DELETE: the journal has no operation that deletes a record (docs/noark5-api.md).
    for href in (person_href, journalpost["_links"]["self"]["href"]):
        refused = await journal.client.delete(href, headers={**ACCEPT, **headers})
        assert refused.status_code == 405, refused.text
    assert (await _get(journal, person_href, headers)).json()["korrespondansepartNavn"] == "Kari Nordmann"


async def test_a_screened_party_is_masked_as_in_our_own_api(journal: Journal) -> None:
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    registered = await _screened_journalpost(journal, arkivar, saksmappe, "Søknad fra Hemmeligsen")
    assert registered.status_code == 201, registered.text
    jp = (await _get(journal, registered.json()["_links"]["self"]["href"], leser)).json()
    listed = (await _get(journal, jp["_links"][rel("arkivstruktur/korrespondansepart")]["href"], leser)).json()
    own = (await journal.client.get(f"/journalposter/{jp['systemID']}", headers=leser)).json()
    [party] = listed["results"]
    assert {k: v for k, v in party.items() if k != "_links"} == \
        {k: v for k, v in own["korrespondansepart"][0].items() if v is not None}
    read = (await _get(journal, party["_links"]["self"]["href"], leser)).json()
    for answer in (listed, read):
        assert "Hemmeligsen" not in str(answer) and FNR not in str(answer)
    seen_by_arkivar = (await _get(journal, party["_links"]["self"]["href"], arkivar)).json()
    assert seen_by_arkivar["korrespondansepartNavn"] == "Kari Hemmeligsen"
