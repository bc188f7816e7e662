"""Merknad and avskrivning as Noark 5 resources: reached from a saksmappe or journalpost by its
links, created on `ny-merknad`/`ny-avskrivning` through the journal's own use cases, read by
systemID, listed a page at a time, an avskrivning deleted; refused writes and refused input
change nothing; screened texts masked as in our own API, and a caller who may not read the
record gets the record's answer.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from typing import Any
from uuid import uuid4

from sqlalchemy import func, select

from arkiv5_journal.models import Avskrivning, Merknad

from .conftest import FNR, UNIT, Journal
from .test_noark5_api import (
    ACCEPT,
    NOARK5,
    SKJERMING,
    _arkivar_leser_and_case,
    _get,
    _handler,
    _list_href,
    _new_case,
    _new_journalpost,
    rel,
)

JSON = {**ACCEPT, "Content-Type": NOARK5}
MERKNAD, NY_MERKNAD = "arkivstruktur/merknad", "arkivstruktur/ny-merknad"
AVSKRIVNING, NY_AVSKRIVNING = "sakarkiv/avskrivning", "sakarkiv/ny-avskrivning"


async def _count(journal: Journal, table: Any) -> int:
    async with journal.runtime.database.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def _rows(journal: Journal) -> tuple[int, int]:
    return await _count(journal, Merknad.__table__), await _count(journal, Avskrivning.__table__)  # type: ignore[attr-defined]


async def _all_pages(journal: Journal, href: str, headers: dict[str, str]) -> tuple[list[dict[str, Any]], int]:
    results: list[dict[str, Any]] = []
    pages = 0
    next_href: str | None = href
    while next_href is not None:
        page = (await _get(journal, next_href, headers)).json()
        results += page["results"]
        pages += 1
        next_href = page["_links"].get("next", {}).get("href")
    return results, pages


async def _post(journal: Journal, href: str, headers: dict[str, str], body: dict[str, Any]) -> Any:
    return await journal.client.post(href, json=body, headers={**JSON, **headers})


def _feil(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    feil: dict[str, Any] = response.json()["feil"]
    assert feil["kode"] == status and feil["beskrivelse"]
    return feil


async def _case_and_journalpost(journal: Journal) -> tuple[dict[str, str], str, dict[str, Any], dict[str, Any]]:
    headers, person = await _handler(journal)
    created = await _new_case(journal, headers, person)
    assert created.status_code == 201, created.text
    saksmappe = (await _get(journal, created.json()["_links"]["self"]["href"], headers)).json()
    registered = await _new_journalpost(journal, headers, saksmappe)
    assert registered.status_code == 201, registered.text
    return headers, person, saksmappe, registered.json()


async def test_merknader_are_created_read_and_listed_by_following_links(journal: Journal) -> None:
    headers, person, saksmappe, journalpost = await _case_and_journalpost(journal)
    made: dict[str, list[str]] = {}
    for record, texts in ((saksmappe, ["Saken gjelder også nabotomta"]),
                          (journalpost, ["Purret per telefon", "Ringte igjen", "Svar lovet innen fredag"])):
        new_href = record["_links"][rel(NY_MERKNAD)]["href"]
        template = (await _get(journal, new_href, headers)).json()
        assert "systemID" not in template and "merknadstekst" not in template
        assert template["merknadsdato"].endswith(("Z", "+00:00"))
        made[record["systemID"]] = []
        for text in texts:
            created = await _post(journal, new_href, headers,
                                  {**template, "merknadstekst": text, "merknadstype": {"kode": "B"}})
            assert created.status_code == 201, created.text
            body = created.json()
            assert body["merknadstekst"] == text and body["merknadstype"] == "B"
            assert body["merknadRegistrertAv"] == body["referanseMerknadRegistrertAv"] == person
            assert body["merknadsdato"].endswith(("Z", "+00:00")), "dates carry a time zone"
            assert created.headers["location"] == body["_links"]["self"]["href"]
            read = await _get(journal, created.headers["location"], headers)
            assert read.json() == body and read.headers["etag"] == created.headers["etag"]
            owner = body["_links"][rel("sakarkiv/journalpost" if record is journalpost else "sakarkiv/saksmappe")]
            assert owner["href"] == record["_links"]["self"]["href"]
            made[record["systemID"]].append(body["systemID"])

    # Each record lists its own, oldest first, a page at a time; the record carries them too.
    for record in (saksmappe, journalpost):
        fresh = (await _get(journal, record["_links"]["self"]["href"], headers)).json()
        assert fresh["_links"][rel(MERKNAD)].get("templated") is True
        listed, pages = await _all_pages(journal, _list_href(fresh["_links"], MERKNAD) + "?$top=2", headers)
        assert [m["systemID"] for m in listed] == made[record["systemID"]]
        assert pages == (2 if record is journalpost else 1)
        assert [{k: v for k, v in m.items() if k not in ("_links", "referanseMerknadRegistrertAv")}
                for m in listed] == fresh["merknad"]
    await _get(journal, _list_href(journalpost["_links"], MERKNAD) + "?$top=101", headers, status=400)
    await _get(journal, _list_href(journalpost["_links"], MERKNAD) + "?$filter=merknadstype eq 'B'", headers,
               status=400)


async def test_a_merknad_is_never_changed_or_deleted(journal: Journal) -> None:
    headers, _person, _saksmappe, journalpost = await _case_and_journalpost(journal)
    created = await _post(journal, journalpost["_links"][rel(NY_MERKNAD)]["href"], headers,
                          {"merknadstekst": "Purret per telefon"})
    own = created.json()["_links"]["self"]["href"]
    etag = created.headers["etag"]
    for method, content_type in (("PUT", NOARK5), ("PATCH", "application/merge-patch+json"), ("DELETE", NOARK5)):
        refused = await journal.client.request(method, own, json={"merknadstekst": "Endret"}, headers={
            **headers, **ACCEPT, "Content-Type": content_type, "If-Match": etag})
        assert "no operation" in _feil(refused, 403)["beskrivelse"], method
    assert (await _get(journal, own, headers)).json()["merknadstekst"] == "Purret per telefon"
    _feil(await journal.client.get(own.rsplit("/", 2)[0] + "/00000000-0000-4000-8000-00000000abcd/",
                                   headers={**ACCEPT, **headers}), 404)


async def test_refused_merknader_are_precise_and_write_nothing(journal: Journal) -> None:
    headers, _person, saksmappe, journalpost = await _case_and_journalpost(journal)
    await journal.grant("kollega", roles=["saksbehandler"])
    before = await _rows(journal)
    for record in (saksmappe, journalpost):
        href = record["_links"][rel(NY_MERKNAD)]["href"]
        _feil(await _post(journal, href, headers, {"merknadstekst": ""}), 422)
        _feil(await _post(journal, href, headers, {"merknadstekst": "x", "merknadstype": "x" * 256}), 422)
        _feil(await _post(journal, href, headers, {"merknadstekst": "x", "ukjentFelt": 1}), 422)
        _feil(await journal.client.post(href, content=b"merknadstekst=x", headers={
            **headers, **ACCEPT, "Content-Type": "text/plain"}), 415)
        _feil(await _post(journal, href, journal.person("saksbehandler", scopes=["journal.read"]),
                          {"merknadstekst": "x"}), 403)
        _feil(await _post(journal, href.replace(record["systemID"], "00000000-0000-4000-8000-00000000abcd"),
                          headers, {"merknadstekst": "x"}), 404)
    # A case handler who is not responsible for the case may not add to it (the policy's rule).
    _feil(await _post(journal, saksmappe["_links"][rel(NY_MERKNAD)]["href"], journal.person("kollega"),
                      {"merknadstekst": "x"}), 403)
    assert await _rows(journal) == before


async def test_an_avskrivning_is_created_read_listed_and_deleted(journal: Journal) -> None:
    headers, person, saksmappe, journalpost = await _case_and_journalpost(journal)
    answer = (await _new_journalpost(journal, headers, saksmappe, journalposttype="U", tittel="Svar",
                                     mottattDato=None)).json()
    new_href = journalpost["_links"][rel(NY_AVSKRIVNING)]["href"]
    template = (await _get(journal, new_href, headers)).json()
    assert template["avskrivningsdato"] and "systemID" not in template and "avskrivningsmaate" not in template
    made = []
    for code, reference in (("BU", answer["systemID"]), ("TLF", None), ("TE", None)):
        body = {**template, "avskrivningsmaate": {"kode": code}}
        if reference:
            body["referanseAvskrivesAvJournalpost"] = reference
        created = await _post(journal, new_href, headers, body)
        assert created.status_code == 201, created.text
        out = created.json()
        assert out["avskrivningsmaate"]["kode"] == code and out["avskrivningsmaate"]["kodenavn"]
        assert out["avskrevetAv"] == out["referanseAvskrevetAv"] == person
        assert out.get("referanseAvskrivesAvJournalpost") == reference
        assert created.headers["location"] == out["_links"]["self"]["href"]
        assert (await _get(journal, created.headers["location"], headers)).json() == out
        made.append(out)
    assert made[0]["avskrivningsmaate"]["kodenavn"] == "Besvart med brev"

    fresh = (await _get(journal, journalpost["_links"]["self"]["href"], headers)).json()
    listed, pages = await _all_pages(journal, _list_href(fresh["_links"], AVSKRIVNING) + "?$top=2", headers)
    assert sorted(a["systemID"] for a in listed) == sorted(a["systemID"] for a in made) and pages == 2
    assert len(fresh["avskrivning"]) == 3

    # Deleted through the journal's use case: gone, and the journalpost shows it no more.
    deleted = await journal.client.delete(made[1]["_links"]["self"]["href"], headers={**ACCEPT, **headers})
    assert deleted.status_code == 204, deleted.text
    _feil(await journal.client.get(made[1]["_links"]["self"]["href"], headers={**ACCEPT, **headers}), 404)
    _feil(await journal.client.delete(made[1]["_links"]["self"]["href"], headers={**ACCEPT, **headers}), 404)
    left, _ = await _all_pages(journal, _list_href(fresh["_links"], AVSKRIVNING), headers)
    assert {a["systemID"] for a in left} == {made[0]["systemID"], made[2]["systemID"]}
    own = (await journal.client.get(f"/journalposter/{journalpost['systemID']}", headers=headers)).json()
    assert {a["systemID"] for a in own["avskrivning"]} == {made[0]["systemID"], made[2]["systemID"]}

    # Never changed: PUT and PATCH are refused and change nothing.
    for method in ("PUT", "PATCH"):
        refused = await journal.client.request(method, made[0]["_links"]["self"]["href"],
                                               json={"avskrivningsmaate": "TLF"}, headers={**JSON, **headers})
        _feil(refused, 403)
    assert (await _get(journal, made[0]["_links"]["self"]["href"], headers)).json() == made[0]


async def test_refused_avskrivninger_are_precise_and_write_nothing(journal: Journal) -> None:
    headers, _person, saksmappe, journalpost = await _case_and_journalpost(journal)
    outgoing = (await _new_journalpost(journal, headers, saksmappe, journalposttype="U", tittel="Svar",
                                       mottattDato=None)).json()
    await journal.grant("leser", roles=["lesetilgang"])
    kept = await _post(journal, journalpost["_links"][rel(NY_AVSKRIVNING)]["href"], headers,
                       {"avskrivningsmaate": "TLF"})
    assert kept.status_code == 201, kept.text
    before = await _rows(journal)
    href = journalpost["_links"][rel(NY_AVSKRIVNING)]["href"]
    _feil(await _post(journal, href, headers, {}), 422)
    assert "avskrivningsmaate" in _feil(await _post(journal, href, headers, {"avskrivningsmaate": "XX"}), 422)[
        "beskrivelse"]
    _feil(await _post(journal, href, headers, {"avskrivningsmaate": "BU",
                                               "referanseAvskrivesAvJournalpost": "00000000-0000-4000-8000-00000000abcd"}),
          422)
    _feil(await _post(journal, href, headers, {"avskrivningsmaate": "BU", "avskrivningsdato": "i går"}), 422)
    _feil(await _post(journal, outgoing["_links"][rel(NY_AVSKRIVNING)]["href"], headers, {"avskrivningsmaate": "BU"}),
          409)
    _feil(await _post(journal, href, journal.person("leser"), {"avskrivningsmaate": "BU"}), 403)
    _feil(await journal.client.delete(kept.json()["_links"]["self"]["href"],
                                      headers={**ACCEPT, **journal.person("leser")}), 403)
    assert await _rows(journal) == before
    assert (await _get(journal, kept.json()["_links"]["self"]["href"], headers)).json() == kept.json()


async def test_screened_merknader_are_masked_as_in_our_own_api(journal: Journal) -> None:
    arkivar, leser, saksmappe = await _arkivar_leser_and_case(journal)
    # MT screens the remarks of the journalpost; «Hemmeligsen» is a screened word of it.
    registered = await _new_journalpost(
        journal, arkivar, saksmappe, tittel="Klage fra Hemmeligsen", skjermedeOrd=["Hemmeligsen"],
        skjerming={**SKJERMING, "skjermingMetadata": ["TRO", "MT"]})
    assert registered.status_code == 201, registered.text
    journalpost = registered.json()
    created = await _post(journal, journalpost["_links"][rel(NY_MERKNAD)]["href"], arkivar,
                          {"merknadstekst": "Ringte Hemmeligsen om klagen"})
    assert created.status_code == 201, created.text
    merknad_href = created.json()["_links"]["self"]["href"]

    seen = (await _get(journal, journalpost["_links"]["self"]["href"], leser)).json()
    listed = (await _get(journal, _list_href(seen["_links"], MERKNAD), leser)).json()["results"]
    alone = (await _get(journal, merknad_href, leser)).json()
    own = (await journal.client.get(f"/journalposter/{journalpost['systemID']}/merknader", headers=leser)).json()
    assert [m["merknadstekst"] for m in listed] == [alone["merknadstekst"]] == [m["merknadstekst"] for m in own]
    for answer in (listed, alone):
        assert "Hemmeligsen" not in str(answer) and "klagen" not in str(answer)
    assert (await _get(journal, merknad_href, arkivar)).json()["merknadstekst"] == "Ringte Hemmeligsen om klagen"


async def test_a_caller_who_may_not_read_the_record_gets_its_answer_from_each_new_resource(
        journal: Journal) -> None:
    await journal.grant("arkivar", roles=["arkivtjeneste"], codes=["6"])
    journal.persons["uten-rettigheter"] = uuid4()  # a valid token, but no rights in the journal
    arkivar, annen = journal.person("arkivar"), journal.person("uten-rettigheter")
    sakarkiv_href = rel("sakarkiv/ny-saksmappe")
    root = (await _get(journal, "/noark5/api/", arkivar)).json()
    sakarkiv = (await _get(journal, root["_links"][rel("sakarkiv")]["href"], arkivar)).json()
    created = await _post(journal, sakarkiv["_links"][sakarkiv_href]["href"], arkivar, {
        "tittel": "Kari Klientsen - bolig", "administrativEnhet": str(UNIT), "skjerming": SKJERMING,
        "klient": {"partNavn": "Kari Klientsen", "foedselsnummer": FNR}})
    assert created.status_code == 201, created.text
    saksmappe = created.json()
    journalpost = (await _new_journalpost(journal, arkivar, saksmappe, skjerming=SKJERMING)).json()
    merknad = (await _post(journal, journalpost["_links"][rel(NY_MERKNAD)]["href"], arkivar,
                           {"merknadstekst": "Ringte Kari Klientsen"})).json()
    avskrivning = (await _post(journal, journalpost["_links"][rel(NY_AVSKRIVNING)]["href"], arkivar,
                               {"avskrivningsmaate": "TLF"})).json()
    record = await journal.client.get(journalpost["_links"]["self"]["href"], headers={**ACCEPT, **annen})
    assert record.status_code in (403, 404), record.text
    before = await _rows(journal)
    for href in (_list_href(journalpost["_links"], MERKNAD), _list_href(journalpost["_links"], AVSKRIVNING),
                 journalpost["_links"][rel(NY_MERKNAD)]["href"], journalpost["_links"][rel(NY_AVSKRIVNING)]["href"],
                 merknad["_links"]["self"]["href"], avskrivning["_links"]["self"]["href"]):
        answer = await journal.client.get(href, headers={**ACCEPT, **annen})
        assert answer.status_code == record.status_code, (href, answer.text)
        assert "Klientsen" not in answer.text
    for href, body in ((journalpost["_links"][rel(NY_MERKNAD)]["href"], {"merknadstekst": "x"}),
                       (journalpost["_links"][rel(NY_AVSKRIVNING)]["href"], {"avskrivningsmaate": "BU"})):
        refused = await _post(journal, href, annen, body)
        assert refused.status_code in (403, 404) and "Klientsen" not in refused.text, refused.text
    deleted = await journal.client.delete(avskrivning["_links"]["self"]["href"], headers={**ACCEPT, **annen})
    assert deleted.status_code in (403, 404) and "Klientsen" not in deleted.text
    assert await _rows(journal) == before
