"""The archive's administrators build and change the archive structure through the Noark 5
interface, by links alone: a new arkiv, its arkivdel, the arkivdel's klassifikasjonssystem and
klasse, a case filed there; changes with the ETag as read (each logged); deleting only what
holds nothing; and a closed period that takes no new case.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlmodel import col

from arkiv5_journal.models import Arkiv, Endringslogg, Saksmappe

from .conftest import UNIT, Journal
from .test_noark5_api import ACCEPT, NOARK5, _get, _handler, _new_case, _package, rel
from .test_noark5_arkivstruktur import _href, _only, _post

MERGE = "application/merge-patch+json"


async def _count(journal: Journal, table: Any) -> int:
    async with journal.runtime.database.unit_of_work() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _new_structure(journal: Journal, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Root → arkivstruktur → ny-arkiv → ny-arkivdel → ny-klassifikasjonssystem → ny-klasse, by rels."""
    arkivstruktur = await _package(journal, headers, "arkivstruktur")
    ny_arkiv = _href(arkivstruktur, "arkivstruktur/ny-arkiv")
    template = (await _get(journal, ny_arkiv, headers)).json()
    assert template["arkivstatus"]["kode"] == "O"
    arkiv = await _post(journal, headers, ny_arkiv, {**template, "tittel": "Kommunearkiv 2027–",
                                                     "beskrivelse": "Fra 1. januar 2027"})
    assert arkiv["arkivstatus"] == {"kode": "O", "kodenavn": "Opprettet"} and arkiv["opprettetAv"]
    ny_arkivdel = _href(arkiv, "arkivstruktur/ny-arkivdel")
    template = (await _get(journal, ny_arkivdel, headers)).json()
    arkivdel = await _post(journal, headers, ny_arkivdel, {**template, "tittel": "Sakarkiv 2027–2030"})
    assert arkivdel["arkivdelstatus"]["kode"] == "A"
    assert arkivdel["_links"][rel("arkivstruktur/arkiv")]["href"] == arkiv["_links"]["self"]["href"]
    system = await _post(journal, headers, _href(arkivdel, "arkivstruktur/ny-klassifikasjonssystem"),
                         {"tittel": "Arkivnøkkel 2027", "klassifikasjonstype": {"kode": "K-kode"}})
    assert system["klassifikasjonstype"] == {"kode": "K-kode"}
    klasse = await _post(journal, headers, _href(system, "arkivstruktur/ny-klasse"),
                         {"klasseID": "F47", "tittel": "Byggesaker"})
    return {"arkiv": arkiv, "arkivdel": arkivdel, "system": system, "klasse": klasse}


async def test_an_administrator_builds_a_new_period_and_files_a_case_in_it(journal: Journal) -> None:
    headers, person = await _handler(journal)
    made = await _new_structure(journal, headers)
    arkivdel = (await _get(journal, made["arkivdel"]["_links"]["self"]["href"], headers)).json()
    assert rel("arkivstruktur/ny-klassifikasjonssystem") not in arkivdel["_links"]  # it has one now
    assert (await _only(journal, headers, arkivdel, "arkivstruktur/klassifikasjonssystem"))["systemID"] == \
        made["system"]["systemID"]
    again = await journal.client.post(made["arkivdel"]["_links"]["self"]["href"] + "ny-klassifikasjonssystem/",
                                      json={"tittel": "x"}, headers={**ACCEPT, **headers, "Content-Type": NOARK5})
    assert again.status_code == 409 and again.json()["feil"]["kode"] == 409

    ny_saksmappe = _href(made["klasse"], "sakarkiv/ny-saksmappe")
    template = (await _get(journal, ny_saksmappe, headers)).json()
    saksmappe = await _post(journal, headers, ny_saksmappe, {
        **template, "tittel": "Byggesak Storgata 7", "administrativEnhet": str(UNIT), "saksansvarlig": person})
    assert saksmappe["klasse"] == "F47"
    assert saksmappe["_links"][rel("arkivstruktur/arkivdel")]["href"] == made["arkivdel"]["_links"]["self"]["href"]
    listed = await _only(journal, headers, made["arkivdel"], "arkivstruktur/mappe")
    assert listed["systemID"] == saksmappe["systemID"]


async def test_changes_need_the_etag_as_read_and_are_logged(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    made = await _new_structure(journal, headers)
    href = made["arkivdel"]["_links"]["self"]["href"]
    read = await _get(journal, href, headers)
    tag = read.headers["etag"]

    missing = await journal.client.patch(href, json={"tittel": "x"}, headers={**headers, "Content-Type": MERGE})
    assert missing.status_code == 428
    patched = await journal.client.patch(href, json={"tittel": "Sakarkiv 2027–2031"},
                                         headers={**ACCEPT, **headers, "Content-Type": MERGE, "If-Match": tag})
    assert patched.status_code == 200, patched.text
    assert patched.json()["tittel"] == "Sakarkiv 2027–2031" and patched.headers["etag"] != tag
    stale = await journal.client.patch(href, json={"tittel": "y"},
                                       headers={**headers, "Content-Type": MERGE, "If-Match": tag})
    assert stale.status_code == 409 and stale.json()["feil"]["kode"] == 409

    # PUT: the object as read, with its change; what the server sets is ignored
    current = (await _get(journal, href, headers)).json()
    put = await journal.client.put(href, json={**current, "arkivdelstatus": {"kode": "O"}, "systemID": "ignored"},
                                   headers={**ACCEPT, **headers, "Content-Type": NOARK5,
                                            "ETag": patched.headers["etag"]})
    assert put.status_code == 200, put.text
    assert put.json()["arkivdelstatus"] == {"kode": "O", "kodenavn": "Overlappingsperiode"}
    async with journal.runtime.database.unit_of_work() as session:
        logged = (await session.execute(
            select(Endringslogg.referanse_metadata, Endringslogg.tidligere_verdi, Endringslogg.ny_verdi)
            .where(col(Endringslogg.referanse_arkivenhet) == UUID(made["arkivdel"]["systemID"]))
            .order_by(col(Endringslogg.endret_dato)))).all()
    assert [tuple(row) for row in logged] == [
        ("klassifikasjonssystem", None, made["system"]["systemID"]),
        ("tittel", "Sakarkiv 2027–2030", "Sakarkiv 2027–2031"), ("arkivdelstatus", "A", "O")]

    klasse = made["klasse"]["_links"]["self"]["href"]
    immutable = await journal.client.put(klasse, json={**made["klasse"], "klasseID": "F48"}, headers={
        **ACCEPT, **headers, "Content-Type": NOARK5, "If-Match": "*"})
    assert immutable.status_code == 422 and "klasseID" in immutable.json()["feil"]["beskrivelse"]
    bad = await journal.client.patch(made["arkiv"]["_links"]["self"]["href"], json={"arkivstatus": "X"},
                                     headers={**headers, "Content-Type": MERGE, "If-Match": "*"})
    assert bad.status_code == 422
    removed = await journal.client.patch(made["arkiv"]["_links"]["self"]["href"], json={"tittel": None},
                                         headers={**headers, "Content-Type": MERGE, "If-Match": "*"})
    assert removed.status_code == 422
    arkiv = (await _get(journal, made["arkiv"]["_links"]["self"]["href"], headers)).json()
    assert arkiv["tittel"] == "Kommunearkiv 2027–" and arkiv["arkivstatus"]["kode"] == "O"


async def test_a_period_that_is_not_active_takes_no_new_case(journal: Journal) -> None:
    headers, person = await _handler(journal)
    made = await _new_structure(journal, headers)
    href = made["arkivdel"]["_links"]["self"]["href"]
    closed = await journal.client.patch(href, json={"arkivdelstatus": "P"},
                                        headers={**headers, "Content-Type": MERGE, "If-Match": "*"})
    assert closed.status_code == 200, closed.text
    before = await _count(journal, Saksmappe)
    refused = await journal.client.post(_href(made["arkivdel"], "sakarkiv/ny-saksmappe"), json={
        "tittel": "Byggesak", "administrativEnhet": str(UNIT), "saksansvarlig": person},
        headers={**ACCEPT, **headers, "Content-Type": NOARK5})
    assert refused.status_code == 409 and "active period" in refused.json()["feil"]["beskrivelse"]
    own = await journal.client.post("/saksmapper", headers=headers, json={
        "tittel": "Byggesak", "administrativEnhet": str(UNIT), "arkivdel": made["arkivdel"]["systemID"]})
    assert own.status_code == 409, own.text  # our own API: the same use case, the same refusal
    assert await _count(journal, Saksmappe) == before
    assert (await _new_case(journal, headers, person)).status_code == 201  # the default arkivdel is active

    # a closed arkiv takes no new arkivdel
    arkiv = made["arkiv"]["_links"]["self"]["href"]
    assert (await journal.client.patch(arkiv, json={"arkivstatus": {"kode": "A"}}, headers={
        **headers, "Content-Type": MERGE, "If-Match": "*"})).status_code == 200
    refused = await journal.client.post(arkiv + "ny-arkivdel/", json={"tittel": "x"},
                                        headers={**ACCEPT, **headers, "Content-Type": NOARK5})
    assert refused.status_code == 409


async def test_only_what_holds_nothing_is_deleted(journal: Journal) -> None:
    headers, person = await _handler(journal)
    made = await _new_structure(journal, headers)
    ny_saksmappe = _href(made["klasse"], "sakarkiv/ny-saksmappe")
    await _post(journal, headers, ny_saksmappe, {"tittel": "Byggesak", "administrativEnhet": str(UNIT),
                                                 "saksansvarlig": person})
    for name in ("arkiv", "arkivdel", "system", "klasse"):  # each holds something
        held = await journal.client.delete(made[name]["_links"]["self"]["href"], headers=headers)
        assert held.status_code == 409, (name, held.text)
    spare = await _post(journal, headers, _href(made["system"], "arkivstruktur/ny-klasse"),
                        {"klasseID": "F48", "tittel": "Reserve"})
    assert (await journal.client.delete(spare["_links"]["self"]["href"], headers=headers)).status_code == 204
    await _get(journal, spare["_links"]["self"]["href"], headers, status=404)

    arkivstruktur = await _package(journal, headers, "arkivstruktur")
    before = await _count(journal, Arkiv)
    empty = await _post(journal, headers, _href(arkivstruktur, "arkivstruktur/ny-arkiv"), {"tittel": "Tomt"})
    stale = await journal.client.delete(empty["_links"]["self"]["href"], headers={**headers, "If-Match": '"x"'})
    assert stale.status_code == 409
    assert (await journal.client.delete(empty["_links"]["self"]["href"], headers=headers)).status_code == 204
    assert await _count(journal, Arkiv) == before


async def test_only_the_archives_administrators_change_the_structure(journal: Journal) -> None:
    headers, _person = await _handler(journal)
    made = await _new_structure(journal, headers)
    handler = journal.person("saksbehandler", scopes=["journal.read", "journal.write"])
    arkivstruktur = await _package(journal, handler, "arkivstruktur")
    assert rel("arkivstruktur/ny-arkiv") not in arkivstruktur["_links"]
    arkiv = (await _get(journal, made["arkiv"]["_links"]["self"]["href"], handler)).json()
    assert rel("arkivstruktur/ny-arkivdel") not in arkiv["_links"]
    before = await _count(journal, Arkiv)
    for method, href in [("POST", arkivstruktur["_links"]["self"]["href"] + "ny-arkiv/"),
                         ("POST", made["arkiv"]["_links"]["self"]["href"] + "ny-arkivdel/"),
                         ("PATCH", made["arkiv"]["_links"]["self"]["href"]),
                         ("DELETE", made["klasse"]["_links"]["self"]["href"])]:
        refused = await journal.client.request(method, href, json={"tittel": "x"}, headers={
            **handler, "Content-Type": MERGE if method == "PATCH" else NOARK5, "If-Match": "*"})
        assert refused.status_code == 403, (method, href, refused.text)
    assert await _count(journal, Arkiv) == before
    invalid = await journal.client.post(_href((await _package(journal, headers, "arkivstruktur")),
                                              "arkivstruktur/ny-arkiv"), json={"tittel": ""},
                                        headers={**headers, "Content-Type": NOARK5})
    assert invalid.status_code == 422 and await _count(journal, Arkiv) == before
