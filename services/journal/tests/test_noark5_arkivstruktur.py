"""The archive structure in the Noark 5 interface, as a client that knows only the root finds it:
arkivskaper → arkiv → arkivdel → klassifikasjonssystem → klasse → saksmappe → journalpost →
dokumentbeskrivelse → dokumentobjekt → file, each step by a `_links` rel alone.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .conftest import UNIT, Journal, incoming
from .test_noark5_api import ACCEPT, NOARK5, PDF, ROOT, _get, _handler, _new_case, _package, rel


def _href(body: dict[str, Any], name: str) -> str:
    """The href of a rel, without a template part."""
    return str(body["_links"][rel(name)]["href"]).split("{")[0]


async def _follow(journal: Journal, headers: dict[str, str], body: dict[str, Any], name: str) -> dict[str, Any]:
    return dict((await _get(journal, _href(body, name), headers)).json())


async def _only(journal: Journal, headers: dict[str, str], body: dict[str, Any], name: str) -> dict[str, Any]:
    """The one entry of the list the rel names."""
    listed = await _follow(journal, headers, body, name)
    assert listed["count"] == len(listed["results"]) == 1, listed
    return dict(listed["results"][0])


async def _post(journal: Journal, headers: dict[str, str], href: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await journal.client.post(href, json=body, headers={**ACCEPT, **headers, "Content-Type": NOARK5})
    assert response.status_code == 201, response.text
    assert response.headers["location"] == response.json()["_links"]["self"]["href"]
    return dict(response.json())


async def _classified_case_with_file(journal: Journal, headers: dict[str, str], person: str) -> dict[str, Any]:
    """Through links only: a klasse in the klassifikasjonssystem, a case under it, a journalpost, a file."""
    assert (await _new_case(journal, headers, person)).status_code == 201  # the structure is made with the first case
    arkivstruktur = await _package(journal, headers, "arkivstruktur")
    system = await _only(journal, headers, arkivstruktur, "arkivstruktur/klassifikasjonssystem")
    klasse = await _post(journal, headers, _href(system, "arkivstruktur/ny-klasse"),
                         {"klasseID": "F47", "tittel": "Byggesaker"})
    ny_saksmappe = _href(klasse, "sakarkiv/ny-saksmappe")
    template = (await _get(journal, ny_saksmappe, headers)).json()
    saksmappe = await _post(journal, headers, ny_saksmappe, {
        **template, "tittel": "Byggesak Storgata 5", "administrativEnhet": str(UNIT), "saksansvarlig": person})
    assert saksmappe["klasse"] == "F47"
    journalpost = await _post(journal, headers, _href(saksmappe, "sakarkiv/ny-journalpost"), incoming())
    uploaded = await journal.client.post(_href(journalpost, "arkivstruktur/fil"), content=PDF, headers={
        **ACCEPT, **headers, "Content-Type": "application/pdf"})
    assert uploaded.status_code == 201, uploaded.text
    return journalpost


async def test_a_client_walks_from_the_root_to_a_journalposts_file_by_links_alone(journal: Journal) -> None:
    headers, person = await _handler(journal)
    journalpost = await _classified_case_with_file(journal, headers, person)

    root = (await _get(journal, ROOT, headers)).json()
    arkivstruktur = await _follow(journal, headers, root, "arkivstruktur")
    arkivskaper = await _only(journal, headers, arkivstruktur, "arkivstruktur/arkivskaper")
    arkiv = await _only(journal, headers, arkivskaper, "arkivstruktur/arkiv")
    assert arkivskaper["arkivskaperID"] == arkiv["systemID"] and arkivskaper["arkivskaperNavn"] == arkiv["tittel"]
    arkivdel = await _only(journal, headers, arkiv, "arkivstruktur/arkivdel")
    system = await _only(journal, headers, arkivdel, "arkivstruktur/klassifikasjonssystem")
    klasse = await _only(journal, headers, system, "arkivstruktur/klasse")
    assert klasse["klasseID"] == "F47"
    saksmappe = await _only(journal, headers, klasse, "arkivstruktur/mappe")
    found = await _only(journal, headers, saksmappe, "arkivstruktur/registrering")
    assert found["systemID"] == journalpost["systemID"]
    beskrivelse = await _only(journal, headers, found, "arkivstruktur/dokumentbeskrivelse")
    objekt = await _only(journal, headers, beskrivelse, "arkivstruktur/dokumentobjekt")
    download = await journal.client.get(_href(objekt, "arkivstruktur/fil"),
                                        headers={**headers, "Accept": "application/pdf"})
    assert download.status_code == 200 and download.content == PDF

    # Each entity reads back at its self link with an ETag, and links up the chain.
    for entity in (arkivskaper, arkiv, arkivdel, system, klasse):
        read = await _get(journal, entity["_links"]["self"]["href"], headers)
        assert read.json()["systemID"] == entity["systemID"] and read.headers["etag"]
        assert all(key == "self" or key.startswith("https://rel.arkivverket.no/") for key in read.json()["_links"])
    assert (await _follow(journal, headers, arkivdel, "arkivstruktur/arkiv"))["systemID"] == arkiv["systemID"]
    assert (await _follow(journal, headers, klasse, "arkivstruktur/klassifikasjonssystem"))["systemID"] \
        == system["systemID"]
    for record in (saksmappe, found):
        assert (await _follow(journal, headers, record, "arkivstruktur/arkivdel"))["systemID"] == arkivdel["systemID"]
        assert (await _follow(journal, headers, record, "arkivstruktur/klasse"))["systemID"] == klasse["systemID"]
    assert (await _only(journal, headers, system, "arkivstruktur/arkivdel"))["systemID"] == arkivdel["systemID"]


async def test_the_arkivdel_lists_its_cases_and_the_klasse_those_classified_under_it(journal: Journal) -> None:
    headers, person = await _handler(journal)
    await _classified_case_with_file(journal, headers, person)
    arkivstruktur = await _package(journal, headers, "arkivstruktur")
    arkivdel = await _only(journal, headers, arkivstruktur, "arkivstruktur/arkivdel")
    created = await _post(journal, headers, _href(arkivdel, "sakarkiv/ny-saksmappe"),
                          {"tittel": "Uklassifisert", "administrativEnhet": str(UNIT), "saksansvarlig": person})
    assert "klasse" not in created and rel("arkivstruktur/klasse") not in created["_links"]
    assert _href(created, "arkivstruktur/arkivdel") == arkivdel["_links"]["self"]["href"]

    in_arkivdel = await _follow(journal, headers, arkivdel, "arkivstruktur/mappe")
    assert in_arkivdel["count"] == 3  # the first case, the classified one, the unclassified one
    klasse = await _only(journal, headers, arkivstruktur, "arkivstruktur/klasse")
    assert (await _only(journal, headers, klasse, "sakarkiv/saksmappe"))["tittel"] == "Byggesak Storgata 5"
    first = await journal.client.get(_href(arkivdel, "arkivstruktur/mappe"), params={"$top": "2"},
                                     headers={**ACCEPT, **headers})
    assert first.json()["count"] == 3 and len(first.json()["results"]) == 2  # count: the whole list
    second = await _get(journal, first.json()["_links"]["next"]["href"], headers)
    assert len(second.json()["results"]) == 1 and "next" not in second.json()["_links"]
    refused = await journal.client.get(_href(arkivdel, "arkivstruktur/mappe"), params={"$filter": "x"},
                                       headers={**ACCEPT, **headers})
    assert refused.status_code == 400 and "$filter" in refused.json()["feil"]["beskrivelse"]


async def test_what_the_journal_has_no_operation_for_is_refused_with_a_reason(journal: Journal) -> None:
    headers, person = await _handler(journal)
    await _classified_case_with_file(journal, headers, person)
    arkivstruktur = await _package(journal, headers, "arkivstruktur")
    arkiv = await _only(journal, headers, arkivstruktur, "arkivstruktur/arkiv")
    klasse = await _only(journal, headers, arkivstruktur, "arkivstruktur/klasse")
    skaper = await _only(journal, headers, arkiv, "arkivstruktur/arkivskaper")
    for method, href in [("POST", arkiv["_links"]["self"]["href"] + "ny-arkiv/"),
                         ("POST", arkiv["_links"]["self"]["href"] + "ny-arkivskaper/"),
                         ("PUT", skaper["_links"]["self"]["href"]), ("DELETE", skaper["_links"]["self"]["href"]),
                         ("POST", klasse["_links"]["self"]["href"] + "ny-klasse/")]:
        refused = await journal.client.request(method, href, json={"tittel": "x"},
                                               headers={**ACCEPT, **headers, "Content-Type": NOARK5})
        assert refused.status_code == 403, (method, href, refused.text)
        assert refused.json()["feil"]["kode"] == 403 and "no operation" in refused.json()["feil"]["beskrivelse"]
    assert (await _only(journal, headers, arkivstruktur, "arkivstruktur/arkiv"))["tittel"] == arkiv["tittel"]

    system = await _only(journal, headers, arkivstruktur, "arkivstruktur/klassifikasjonssystem")
    again = await journal.client.post(_href(system, "arkivstruktur/ny-klasse"), json={"klasseID": "F47", "tittel": "x"},
                                      headers={**ACCEPT, **headers, "Content-Type": NOARK5})
    assert again.status_code == 409 and again.json()["feil"]["kode"] == 409


async def test_structure_is_read_by_readers_and_klasser_made_by_administrators_only(journal: Journal) -> None:
    headers, person = await _handler(journal)
    await _classified_case_with_file(journal, headers, person)
    reader = journal.person("saksbehandler", scopes=["journal.read", "journal.write"])
    arkivstruktur = await _package(journal, reader, "arkivstruktur")
    system = await _only(journal, reader, arkivstruktur, "arkivstruktur/klassifikasjonssystem")
    assert rel("arkivstruktur/ny-klasse") not in system["_links"]
    made = await journal.client.post(system["_links"]["self"]["href"] + "ny-klasse/",
                                     json={"klasseID": "F48", "tittel": "x"},
                                     headers={**reader, "Content-Type": NOARK5})
    assert made.status_code == 403 and made.json()["feil"]["kode"] == 403
    nobody = await journal.client.get(_href(arkivstruktur, "arkivstruktur/arkiv"),
                                      headers=journal.person("saksbehandler", scopes=["journal.write"]))
    assert nobody.status_code == 403
    missing = await journal.client.get(system["_links"]["self"]["href"].replace(system["systemID"], person),
                                       headers={**ACCEPT, **reader})
    assert missing.status_code == 404 and missing.json()["feil"]["kode"] == 404


async def test_the_structures_dates_carry_their_time_zone(journal: Journal) -> None:
    # SQLite hands its timestamps back without their zone; the interface's dates carry one.
    headers, person = await _handler(journal)
    assert (await _new_case(journal, headers, person)).status_code == 201
    arkivstruktur = await _package(journal, headers, "arkivstruktur")
    for name in ("arkivstruktur/arkiv", "arkivstruktur/arkivdel", "arkivstruktur/klassifikasjonssystem"):
        created = (await _only(journal, headers, arkivstruktur, name))["opprettetDato"]
        assert created.endswith("Z") and datetime.fromisoformat(created).tzinfo is not None, (name, created)
