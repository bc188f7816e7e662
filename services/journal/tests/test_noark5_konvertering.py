"""`konvertering` in the Noark 5 interface, reached by links alone: the archival variant the
conversion service attached carries one konvertering naming both formats; the production
variant carries none; a reader who may not see the record sees no konvertering either.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

import hashlib
from typing import Any

from .conftest import Journal
from .test_noark5_api import (
    ACCEPT,
    PDF,
    SKJERMING,
    _arkivar_leser_and_case,
    _get,
    _handler,
    _new_case,
    _new_journalpost,
    rel,
)

ARCHIVAL = b"%PDF-1.7\n%archival\n%%EOF\n"


async def _upload_and_convert(journal: Journal, headers: dict[str, str], journalpost: dict[str, Any]) -> str:
    """Uploads the file on the `fil` link, then attaches its archival variant as the conversion service does."""
    uploaded = await journal.client.post(
        journalpost["_links"][rel("arkivstruktur/fil")]["href"], content=PDF,
        headers={**ACCEPT, **headers, "Content-Type": "application/pdf"})
    assert uploaded.status_code == 201, uploaded.text
    source = uploaded.json()["systemID"]
    attached = await journal.client.put(
        f"/internal/dokumentobjekter/{source}/arkivvariant", content=ARCHIVAL,
        headers={**journal.service("journal.documents.write-archival"), "Content-Type": "application/pdf",
                 "X-Source-Sha256": hashlib.sha256(PDF).hexdigest(), "X-Archival-Puid": "fmt/477"})
    assert attached.status_code == 201, attached.text
    return str(attached.json()["dokumentobjekt_id"])


async def _objekter(journal: Journal, headers: dict[str, str], journalpost: dict[str, Any]) -> dict[str, Any]:
    documents = await _get(journal, journalpost["_links"][rel("arkivstruktur/dokumentbeskrivelse")]["href"], headers)
    [beskrivelse] = documents.json()["results"]
    listed = await _get(journal, beskrivelse["_links"][rel("arkivstruktur/dokumentobjekt")]["href"], headers)
    return {o["variantformat"]["kode"]: o for o in listed.json()["results"]}


async def test_the_archival_variant_shows_its_konvertering_and_the_production_variant_none(journal: Journal) -> None:
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    journalpost = (await _new_journalpost(journal, headers, saksmappe)).json()
    archival_id = await _upload_and_convert(journal, headers, journalpost)

    objekter = await _objekter(journal, headers, journalpost)
    assert set(objekter) == {"P", "A"} and objekter["A"]["systemID"] == archival_id
    production = await _get(journal, objekter["P"]["_links"][rel("arkivstruktur/konvertering")]["href"], headers)
    assert production.json()["count"] == 0 and production.json()["results"] == []

    page = await _get(journal, objekter["A"]["_links"][rel("arkivstruktur/konvertering")]["href"], headers)
    [konvertering] = page.json()["results"]
    assert konvertering["konvertertFraFormat"] == "application/pdf"
    assert konvertering["konvertertTilFormat"] == "application/pdf"
    assert konvertering["konverteringskommentar"] == "PRONOM fmt/477"
    assert konvertering["konvertertAv"] and konvertering["konvertertDato"].endswith("Z")
    # The same konvertering, read on its own link, with the same systemID every time.
    read = await _get(journal, konvertering["_links"]["self"]["href"], headers)
    assert read.json() == konvertering
    again = await _get(journal, objekter["A"]["_links"][rel("arkivstruktur/konvertering")]["href"], headers)
    assert again.json()["results"][0]["systemID"] == konvertering["systemID"]
    back = await _get(journal, konvertering["_links"][rel("arkivstruktur/dokumentobjekt")]["href"], headers)
    assert back.json()["systemID"] == archival_id

    # Read-only: the conversion service alone makes konverteringer.
    refused = await journal.client.post(konvertering["_links"]["self"]["href"].rsplit("/", 2)[0] + "/",
                                        json={"konvertertFraFormat": "x"}, headers=headers)
    assert refused.status_code == 405
    unknown = await journal.client.get(
        konvertering["_links"]["self"]["href"].replace(konvertering["systemID"], archival_id), headers=headers)
    assert unknown.status_code == 404 and unknown.json()["feil"]["kode"] == 404


async def test_a_konvertering_is_seen_exactly_where_its_dokumentobjekt_is(journal: Journal) -> None:
    """The konvertering says no more than its dokumentobjekt (formats, a date, the converting
    service), so whoever may read the one reads the other, and whoever may not gets the same answer."""
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    registered = await _new_journalpost(journal, arkivar, saksmappe, tittel="Søknad fra Hemmeligsen",
                                        skjermedeOrd=["Hemmeligsen"], skjerming=SKJERMING)
    assert registered.status_code == 201, registered.text
    journalpost = registered.json()
    await _upload_and_convert(journal, arkivar, journalpost)
    archival = (await _objekter(journal, arkivar, journalpost))["A"]
    href = archival["_links"][rel("arkivstruktur/konvertering")]["href"]
    assert (await _get(journal, href, arkivar)).json()["count"] == 1

    objekt = await journal.client.get(archival["_links"]["self"]["href"], headers={**ACCEPT, **leser})
    konvertering = await journal.client.get(href, headers={**ACCEPT, **leser})
    assert konvertering.status_code == objekt.status_code, konvertering.text
    assert "Hemmeligsen" not in konvertering.text
    stranger = await journal.client.get(href, headers=ACCEPT)
    assert stranger.status_code == 401
