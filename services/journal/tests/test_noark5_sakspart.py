"""Part (sakspart), skjerming and sekundærklassifikasjon as Noark 5 resources, reached from the
saksmappe and journalpost by their links, each shown exactly as our own API shows it inside
the record: in full to a caller cleared for the case, masked otherwise.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import FNR, UNIT, Journal
from .test_noark5_api import (
    ACCEPT,
    NOARK5,
    SKJERMING,
    _arkivar_leser_and_case,
    _get,
    _package,
    _screened_journalpost,
    rel,
)

CLIENT = "Kari Klientsen"
MERGE = {"Content-Type": "application/merge-patch+json"}


async def _client_case(journal: Journal) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """An arkivar cleared for code 6, an uncleared reader, and a client case (screened by code 6)."""
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    await journal.grant("leser", roles=["lesetilgang"])
    arkivar, leser = journal.person("arkivar"), journal.person("leser")
    sakarkiv = await _package(journal, arkivar, "sakarkiv")
    created = await journal.client.post(
        sakarkiv["_links"][rel("sakarkiv/ny-saksmappe")]["href"], headers={**arkivar, "Content-Type": NOARK5},
        json={"tittel": f"{CLIENT} - bolig", "administrativEnhet": str(UNIT), "skjerming": SKJERMING,
              "klient": {"partNavn": CLIENT, "foedselsnummer": FNR}})
    assert created.status_code == 201, created.text
    return arkivar, leser, created.json()


def _fields(answer: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in answer.items() if key != "_links"}


async def test_a_client_cases_part_is_listed_and_read_in_full_by_a_cleared_caller(journal: Journal) -> None:
    arkivar, _leser, created = await _client_case(journal)
    read = await _get(journal, created["_links"]["self"]["href"], arkivar)
    saksmappe = read.json()
    parts = (await _get(journal, saksmappe["_links"][rel("arkivstruktur/part")]["href"], arkivar)).json()
    assert parts["count"] == 1
    assert (await _get(journal, saksmappe["_links"][rel("arkivstruktur/partperson")]["href"], arkivar)).json() == parts
    [part] = parts["results"]
    assert part["partNavn"] == CLIENT and part["foedselsnummer"] == FNR and part["partRolle"]["kode"] == "KLI"
    assert set(part["_links"]) >= {"self", rel("arkivstruktur/partperson"), rel("sakarkiv/saksmappe")}
    assert part["_links"][rel("sakarkiv/saksmappe")]["href"] == saksmappe["_links"]["self"]["href"]
    again = await _get(journal, part["_links"]["self"]["href"], arkivar)
    assert again.json() == part
    assert again.headers["ETag"] == read.headers["ETag"]  # a part changes only with its case
    # The same part as inside the case, and as our own API shows it.
    own = (await journal.client.get(f"/saksmapper/{saksmappe['systemID']}", headers=arkivar)).json()
    assert [_fields(p) for p in parts["results"]] == saksmappe["part"] == own["part"]


async def test_a_part_is_masked_for_a_caller_not_cleared_exactly_as_in_our_own_api(journal: Journal) -> None:
    _arkivar, leser, created = await _client_case(journal)
    saksmappe = (await _get(journal, created["_links"]["self"]["href"], leser)).json()
    parts = await _get(journal, saksmappe["_links"][rel("arkivstruktur/part")]["href"], leser)
    [part] = parts.json()["results"]
    read = await _get(journal, part["_links"]["self"]["href"], leser)
    own = (await journal.client.get(f"/saksmapper/{saksmappe['systemID']}", headers=leser)).json()
    assert _fields(part) == own["part"][0] == _fields(read.json())
    assert part["partNavn"] == "*****" and part["foedselsnummer"] == "*****"
    for answer in (parts, read):
        assert FNR not in answer.text and "Klientsen" not in answer.text


async def test_no_part_is_added_to_an_existing_case(journal: Journal) -> None:
    arkivar, _leser, created = await _client_case(journal)
    own = created["_links"]["self"]["href"]
    assert not any("ny-part" in key for key in created["_links"])
    for kind in ("partperson", "partenhet"):
        for method in ("GET", "POST"):
            refused = await journal.client.request(method, f"{own}ny-{kind}/", json={"partNavn": "Ola"},
                                                   headers={**ACCEPT, **arkivar})
            assert refused.status_code == 403, refused.text
            assert refused.json()["feil"]["kode"] == 403 and "Ola" not in refused.text
    parts = (await _get(journal, created["_links"][rel("arkivstruktur/part")]["href"], arkivar)).json()
    assert parts["count"] == 1
    unknown = own.split("sakarkiv/")[0] + "arkivstruktur/partperson/00000000-0000-4000-8000-00000000abcd/"
    missing = await journal.client.get(unknown, headers={**ACCEPT, **arkivar})
    assert missing.status_code == 404 and missing.json()["feil"]["kode"] == 404


async def test_the_sekundaerklassifikasjon_is_the_fodselsnummer_for_the_cleared_and_masked_for_others(
        journal: Journal) -> None:
    arkivar, leser, created = await _client_case(journal)
    for headers, expected in ((arkivar, FNR), (leser, "*****")):
        saksmappe = (await _get(journal, created["_links"]["self"]["href"], headers)).json()
        listed = await _get(journal, saksmappe["_links"][rel("sakarkiv/sekundaerklassifikasjon")]["href"], headers)
        [entry] = listed.json()["results"]
        assert entry["klasseID"] == expected == saksmappe["sekundaerklassifikasjon"]
        read = await _get(journal, entry["_links"]["self"]["href"], headers)
        assert read.json() == entry and read.headers["ETag"]
        if headers is leser:
            assert FNR not in listed.text and FNR not in read.text
    # Read-only: the journal has no use case that changes it.
    changed = await journal.client.patch(entry["_links"]["self"]["href"], json={"klasseID": "x"},
                                         headers={**ACCEPT, **arkivar, **MERGE, "If-Match": read.headers["ETag"]})
    assert changed.status_code == 405


async def test_a_case_without_client_or_skjerming_links_neither(journal: Journal) -> None:
    arkivar, _leser, saksmappe = await _arkivar_leser_and_case(journal)
    links = saksmappe["_links"]
    assert rel("sakarkiv/sekundaerklassifikasjon") not in links and rel("arkivstruktur/skjerming") not in links
    parts = (await _get(journal, links[rel("arkivstruktur/part")]["href"], arkivar)).json()
    assert parts["count"] == 0 and parts["results"] == []
    own = links["self"]["href"]
    for path in ("skjerming/", "sekundaerklassifikasjon/"):
        answer = await journal.client.get(own + path, headers={**ACCEPT, **arkivar})
        expected = 404 if path == "skjerming/" else 200
        assert answer.status_code == expected, answer.text
    single = own.replace("saksmappe/", "sekundaerklassifikasjon/")
    assert (await journal.client.get(single, headers={**ACCEPT, **arkivar})).status_code == 404


async def _skjerming(journal: Journal, record: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
    return await _get(journal, record["_links"][rel("arkivstruktur/skjerming")]["href"], headers)


async def test_a_records_skjerming_is_read_with_the_records_etag_and_changed_through_its_correction(
        journal: Journal) -> None:
    arkivar, leser, created = await _client_case(journal)
    read = await _get(journal, created["_links"]["self"]["href"], arkivar)
    skjerming = await _skjerming(journal, read.json(), arkivar)
    assert skjerming.headers["ETag"] == read.headers["ETag"]
    body = skjerming.json()
    assert body["tilgangsrestriksjon"]["kode"] == "6" and body["skjermingshjemmel"] == "Offl. § 13"
    assert _fields(body) == read.json()["skjerming"]
    # Whoever reads the case reads its skjerming, as in our own API.
    assert _fields((await _skjerming(journal, (await _get(journal, created["_links"]["self"]["href"],
                                                          leser)).json(), leser)).json()) == _fields(body)
    href = body["_links"]["self"]["href"]

    patched = await journal.client.patch(href, json={"skjermingshjemmel": "Offl. § 13, fvl. § 13"},
                                         headers={**ACCEPT, **arkivar, **MERGE, "If-Match": skjerming.headers["ETag"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["skjermingshjemmel"] == "Offl. § 13, fvl. § 13"
    assert patched.headers["ETag"] != skjerming.headers["ETag"]
    case_now = await _get(journal, created["_links"]["self"]["href"], arkivar)
    assert case_now.json()["skjerming"]["skjermingshjemmel"] == "Offl. § 13, fvl. § 13"
    assert case_now.headers["ETag"] == patched.headers["ETag"]

    stale = await journal.client.patch(href, json={"skjermingshjemmel": "x"},
                                       headers={**ACCEPT, **arkivar, **MERGE, "If-Match": skjerming.headers["ETag"]})
    assert stale.status_code == 409 and stale.json()["feil"]["kode"] == 409
    untagged = await journal.client.patch(href, json={"skjermingshjemmel": "x"}, headers={**ACCEPT, **arkivar, **MERGE})
    assert untagged.status_code == 428
    refused = await journal.client.patch(href, json={"skjermingshjemmel": "x"},
                                         headers={**ACCEPT, **leser, **MERGE, "If-Match": patched.headers["ETag"]})
    assert refused.status_code == 403, refused.text
    invalid = await journal.client.patch(href, json={"skjermingMetadata": []},
                                         headers={**ACCEPT, **arkivar, **MERGE, "If-Match": patched.headers["ETag"]})
    assert invalid.status_code == 422, invalid.text

    # PUT: the skjerming as read, with a change.
    whole = {**patched.json(), "skjermingshjemmel": "Offl. § 13"}
    put = await journal.client.put(href, json=whole, headers={**ACCEPT, **arkivar, "Content-Type": NOARK5,
                                                               "If-Match": patched.headers["ETag"]})
    assert put.status_code == 200, put.text
    assert put.json()["skjermingshjemmel"] == "Offl. § 13"
    unchanged = (await _get(journal, created["_links"]["self"]["href"], arkivar)).json()
    assert unchanged["sekundaerklassifikasjon"] == FNR and unchanged["tittel"] == read.json()["tittel"]


async def test_a_journalposts_skjerming_is_linked_only_when_it_has_one(journal: Journal) -> None:
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    registered = await _screened_journalpost(journal, arkivar, saksmappe, "Søknad fra Hemmeligsen")
    assert registered.status_code == 201, registered.text
    journalpost = (await _get(journal, registered.json()["_links"]["self"]["href"], leser)).json()
    skjerming = await _skjerming(journal, journalpost, leser)
    assert _fields(skjerming.json()) == journalpost["skjerming"]
    assert skjerming.json()["_links"][rel("sakarkiv/journalpost")]["href"] == journalpost["_links"]["self"]["href"]
    assert "Hemmeligsen" not in skjerming.text and FNR not in skjerming.text
    patched = await journal.client.patch(skjerming.json()["_links"]["self"]["href"],
                                         json={"skjermingOpphoererDato": "2060-01-01"},
                                         headers={**ACCEPT, **arkivar, **MERGE, "If-Match": skjerming.headers["ETag"]})
    assert patched.status_code == 200, patched.text
    assert patched.json()["skjermingOpphoererDato"] == "2060-01-01"

    open_post = await journal.client.post(
        saksmappe["_links"][rel("sakarkiv/ny-journalpost")]["href"], headers={**arkivar, "Content-Type": NOARK5},
        json={"journalposttype": "I", "tittel": "Åpen søknad", "mottattDato": "2026-01-05",
              "korrespondansepart": [{"korrespondanseparttype": "EA", "korrespondansepartNavn": "Ola"}]})
    assert open_post.status_code == 201, open_post.text
    assert rel("arkivstruktur/skjerming") not in open_post.json()["_links"]
    missing = await journal.client.get(open_post.json()["_links"]["self"]["href"] + "skjerming/",
                                       headers={**ACCEPT, **arkivar})
    assert missing.status_code == 404 and missing.json()["feil"]["kode"] == 404
