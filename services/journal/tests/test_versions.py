"""New versions of a document: gapless versjonsnummer, refusals that write nothing, the archival variant."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Callable
from typing import Any
from uuid import UUID, uuid4

import pytest
from sqlalchemy import func, select

from arkiv5_journal.dokument.documents import documents_for_dispatch
from arkiv5_journal.models import Dokumentobjekt, Endringslogg
from arkiv5_kit.messaging import outbox_table

from .conftest import ORGNR, Journal, case, incoming

PDF_1 = b"%PDF-1.7\n%version one\n" + b"1 0 obj<<>>endobj\n" * 20 + b"%%EOF\n"
PDF_2 = b"%PDF-1.7\n%version two, all pages\n" + b"1 0 obj<<>>endobj\n" * 40 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def outgoing(recipient_type: str = "EM") -> dict[str, Any]:
    return {"journalposttype": "U", "tittel": "Svar på søknad", "journalstatus": "R",
            "korrespondansepart": [{"korrespondanseparttype": recipient_type, "korrespondansepartNavn": "Mottaker AS",
                                    "organisasjonsnummer": ORGNR}]}


async def _journalpost(journal: Journal, body: dict[str, Any] | None = None,
                       headers: dict[str, str] | None = None) -> str:
    headers = headers or journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    response = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter",
                                         json=body or incoming(), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["systemID"]


async def _document(journal: Journal, jp: str, content: bytes = PDF_1,
                    headers: dict[str, str] | None = None) -> dict[str, Any]:
    response = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=content,
                                         params={"tittel": "Søknad fra Kari Nordmann"},
                                         headers={**(headers or journal.fagsystem()), "Content-Type": "application/pdf"})
    assert response.status_code == 201, response.text
    return response.json()


async def _new_version(journal: Journal, beskrivelse: str, content: bytes = PDF_2,
                       headers: dict[str, str] | None = None, **params: Any) -> Any:
    return await journal.client.post(f"/dokumentbeskrivelser/{beskrivelse}/versjoner", content=content,
                                     params=params, headers={**(headers or journal.fagsystem()),
                                                             "Content-Type": "application/pdf"})


async def _rows(journal: Journal) -> tuple[int, int, int]:
    """(dokumentobjekt, endringslogg, outbox) row counts: a refusal must leave all three unchanged."""
    async with journal.runtime.database.unit_of_work() as session:
        counts = []
        for table in (Dokumentobjekt.__table__, Endringslogg.__table__, outbox_table):  # type: ignore[attr-defined]
            counts.append((await session.execute(select(func.count()).select_from(table))).scalar_one())
    return counts[0], counts[1], counts[2]


def _problem(response: Any, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["type"].endswith(slug), body
    return body


async def _added_events(journal: Journal) -> list[dict[str, Any]]:
    return [json.loads(p) for p in await journal.outbox_payloads("dokument.added.v1")]


async def _status(journal: Journal, jp: str, code: str) -> None:
    response = await journal.client.post(f"/journalposter/{jp}/journalstatus", json={"journalstatus": code},
                                         headers=journal.fagsystem())
    assert response.status_code == 200, response.text


async def _archival(journal: Journal, source: dict[str, Any], content: bytes) -> str:
    response = await journal.client.put(
        f"/internal/dokumentobjekter/{source['systemID']}/arkivvariant", content=content,
        headers={**journal.service("journal.documents.write-archival"), "Content-Type": "application/pdf",
                 "X-Source-Sha256": source["sjekksum"], "X-Archival-Puid": "fmt/477"})
    assert response.status_code == 201, response.text
    return response.json()["dokumentobjekt_id"]


async def test_new_version_is_numbered_logged_published_and_listed(journal: Journal) -> None:
    jp = await _journalpost(journal)
    beskrivelse = await _document(journal, jp)
    sha = hashlib.sha256(PDF_2).hexdigest()

    response = await _new_version(journal, beskrivelse["systemID"], sjekksum=sha, filnavn="soknad-v2.pdf")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["systemID"] == beskrivelse["systemID"] and body["dokumentnummer"] == 1
    versions = [(o["versjonsnummer"], o["variantformat"]["kode"]) for o in body["dokumentobjekt"]]
    assert versions == [(1, "P"), (2, "P")]
    v2 = body["dokumentobjekt"][1]
    assert (v2["sjekksum"], v2["filstoerrelse"], v2["format"], v2["filnavn"]) == (
        sha, len(PDF_2), "application/pdf", "soknad-v2.pdf")
    assert response.headers["Location"] == f"/dokumentobjekter/{v2['systemID']}/fil"

    # Both versions stay readable, each with its own bytes.
    v1 = beskrivelse["dokumentobjekt"][0]
    for objekt, content in ((v1, PDF_1), (v2, PDF_2)):
        download = await journal.client.get(f"/dokumentobjekter/{objekt['systemID']}/fil", headers=journal.fagsystem())
        assert download.status_code == 200 and download.content == content

    # The journalpost and its document list show every version.
    for path in (f"/journalposter/{jp}", f"/journalposter/{jp}/dokumenter"):
        read = (await journal.client.get(path, headers=journal.fagsystem())).json()
        [listed] = read["dokumentbeskrivelse"] if isinstance(read, dict) else read
        assert [o["versjonsnummer"] for o in listed["dokumentobjekt"]] == [1, 2]

    added = await _added_events(journal)
    assert [(e["versjonsnummer"], e["variantformat"]) for e in added] == [(1, "P"), (2, "P")]
    assert added[1]["dokumentobjekt_id"] == v2["systemID"]
    assert added[1]["dokumentbeskrivelse_id"] == beskrivelse["systemID"] and added[1]["sha256"] == sha
    assert "Kari" not in json.dumps(added) and "soknad" not in json.dumps(added)

    async with journal.runtime.database.unit_of_work() as session:
        log = {r.referanse_metadata: r.ny_verdi for r in (await session.execute(select(Endringslogg).where(
            Endringslogg.referanse_arkivenhet == UUID(v2["systemID"])))).scalars()}
    assert log["versjonsnummer"] == "2" and log["variantformat"] == "P" and log["sjekksum"] == sha


async def test_a_png_version_is_sniffed_from_its_bytes(journal: Journal) -> None:
    jp = await _journalpost(journal)
    beskrivelse = await _document(journal, jp)
    response = await _new_version(journal, beskrivelse["systemID"], content=PNG)
    assert response.status_code == 201, response.text
    assert response.json()["dokumentobjekt"][-1]["format"] == "image/png"


async def test_version_2_gets_its_archival_variant_and_is_what_is_sent(journal: Journal) -> None:
    jp = await _journalpost(journal, outgoing())
    beskrivelse = await _document(journal, jp)
    v1 = beskrivelse["dokumentobjekt"][0]
    archival_v1 = await _archival(journal, v1, b"%PDF-1.7\n%PDF/A of version one\n%%EOF\n")
    v2 = (await _new_version(journal, beskrivelse["systemID"])).json()["dokumentobjekt"][-1]
    assert v2["versjonsnummer"] == 2

    # Until version 2 is converted, dispatch takes version 2 itself, never version 1's archival variant.
    async with journal.runtime.database.unit_of_work() as session:
        assert await documents_for_dispatch(session, journalpost_id=UUID(jp), chosen=[]) == [UUID(v2["systemID"])]
    material = await journal.client.get(f"/internal/journalposter/{jp}/dispatch-material",
                                        headers=journal.service("journal.dispatch"))
    assert material.status_code == 200, material.text
    [document] = material.json()["documents"]
    assert (document["dokumentobjekt_id"], document["archival_pdf_dokumentobjekt_id"]) == (v2["systemID"], None)

    # The conversion service attaches the archival variant of version 2 by the source's id.
    archival_v2 = await _archival(journal, v2, b"%PDF-1.7\n%PDF/A of version two\n%%EOF\n")
    listed = (await journal.client.get(f"/journalposter/{jp}/dokumenter", headers=journal.fagsystem())).json()
    variants = [(o["systemID"], o["versjonsnummer"], o["variantformat"]["kode"]) for o in listed[0]["dokumentobjekt"]]
    assert sorted(variants, key=lambda v: (v[1], v[2])) == [
        (archival_v1, 1, "A"), (v1["systemID"], 1, "P"), (archival_v2, 2, "A"), (v2["systemID"], 2, "P")]
    added = await _added_events(journal)
    assert [(e["versjonsnummer"], e["variantformat"]) for e in added] == [(1, "P"), (1, "A"), (2, "P"), (2, "A")]

    # Dispatch names the document by version 2's production variant, whichever of its objects is
    # chosen; the material lists version 2's archival PDF beside it, and that is what the gateway sends.
    async with journal.runtime.database.unit_of_work() as session:
        for chosen in ([], [archival_v2], [v1["systemID"]], [v2["systemID"], archival_v2]):
            assert await documents_for_dispatch(session, journalpost_id=UUID(jp), chosen=[UUID(c) for c in chosen]) \
                == [UUID(v2["systemID"])], chosen
    material = await journal.client.get(f"/internal/journalposter/{jp}/dispatch-material",
                                        headers=journal.service("journal.dispatch"))
    [document] = material.json()["documents"]
    assert (document["dokumentobjekt_id"], document["archival_pdf_dokumentobjekt_id"]) == (v2["systemID"], archival_v2)

    await _status(journal, jp, "F")
    sent = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=journal.fagsystem())
    assert sent.status_code == 202, sent.text
    [requested] = [json.loads(p) for p in await journal.outbox_payloads("dispatch.requested.v1")]
    assert requested["dokumentobjekt_ids"] == [v2["systemID"]]


@pytest.mark.parametrize(("kind", "statuses"), [
    ("ekspedert (E)", ["F", "ekspedere"]),
    ("sent, then journalført (J)", ["F", "ekspedere", "J"]),
    ("arkivert (A)", ["A"]),
    ("utgår (U)", ["U"]),
])
async def test_final_registration_gets_no_new_version_and_nothing_is_written(
    journal: Journal, kind: str, statuses: list[str]
) -> None:
    outgoing_letter = statuses[0] == "F"
    jp = await _journalpost(journal, outgoing("IM") if outgoing_letter else incoming())
    beskrivelse = await _document(journal, jp)
    for step in statuses:
        if step == "ekspedere":
            # Internal recipients only: sent (E) at once.
            response = await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=journal.fagsystem())
            assert response.status_code == 202, response.text
        else:
            await _status(journal, jp, step)
    before = await _rows(journal)
    refused = await _new_version(journal, beskrivelse["systemID"])
    body = _problem(refused, 409, "no-new-version")
    status = (await journal.client.get(f"/journalposter/{jp}", headers=journal.fagsystem())).json()["journalstatus"]
    assert body["journalstatus"] == status["kode"], kind
    assert f"journalstatus {status['kode']}" in body["detail"]
    assert await _rows(journal) == before


async def test_incoming_letter_in_j_may_get_a_better_scan(journal: Journal) -> None:
    jp = await _journalpost(journal, incoming(journalstatus="J"))
    beskrivelse = await _document(journal, jp)
    response = await _new_version(journal, beskrivelse["systemID"])
    assert response.status_code == 201, response.text


async def test_no_new_version_while_the_letter_is_being_sent(journal: Journal) -> None:
    jp = await _journalpost(journal, outgoing("EM"))
    beskrivelse = await _document(journal, jp)
    await _status(journal, jp, "F")
    assert (await journal.client.post(f"/journalposter/{jp}/ekspedere", headers=journal.fagsystem())).status_code == 202
    before = await _rows(journal)
    refused = await _new_version(journal, beskrivelse["systemID"])
    assert "being sent" in _problem(refused, 409, "no-new-version")["detail"]
    assert await _rows(journal) == before


async def test_refusals_are_precise_and_write_nothing(journal_factory: Callable[..., Any]) -> None:
    async for journal in journal_factory(max_upload_bytes=1000):
        handler_id = await journal.grant("saksbehandler", roles=["saksbehandler"])
        await journal.grant("kollega", roles=["saksbehandler"])
        handler = journal.person("saksbehandler")
        saksmappe = (await journal.client.post("/saksmapper", json=case(saksansvarlig=str(handler_id)),
                                               headers=handler)).json()
        jp = (await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter",
                                        json=incoming(saksbehandler=str(handler_id)), headers=handler)).json()["systemID"]
        small = b"%PDF-1.7\n%%EOF\n"
        beskrivelse = (await _document(journal, jp, content=small, headers=handler))["systemID"]
        before = await _rows(journal)

        _problem(await _new_version(journal, str(uuid4()), content=small, headers=handler), 404, "not-found")
        forbidden = _problem(await _new_version(journal, beskrivelse, content=small,
                                                headers=journal.person("kollega")), 403, "forbidden")
        assert forbidden["rule"] == "saksbehandler.write.not-responsible"
        _problem(await _new_version(journal, beskrivelse, content=PDF_2 * 3, headers=handler), 413, "payload-too-large")

        async def chunks() -> Any:  # no Content-Length: the limit holds while streaming
            for _ in range(10):
                yield b"x" * 200

        streamed = await journal.client.post(f"/dokumentbeskrivelser/{beskrivelse}/versjoner", content=chunks(),
                                             headers=handler)
        _problem(streamed, 413, "payload-too-large")
        _problem(await _new_version(journal, beskrivelse, content=small, headers=handler, sjekksum="0" * 64),
                 422, "checksum-mismatch")
        _problem(await _new_version(journal, beskrivelse, content=small, headers=handler, sjekksum="xyz"),
                 422, "unprocessable")
        _problem(await _new_version(journal, beskrivelse, content=b"", headers=handler), 422, "unprocessable")
        read_only = journal.person("saksbehandler", scopes=["journal.read"])
        _problem(await _new_version(journal, beskrivelse, content=small, headers=read_only), 403, "forbidden")
        assert await _rows(journal) == before


async def _ten_concurrent_versions(journal: Journal) -> None:
    jp = await _journalpost(journal)
    beskrivelse = (await _document(journal, jp))["systemID"]
    contents = [PDF_2 + f"%{i}\n".encode() for i in range(10)]
    responses = await asyncio.gather(*(_new_version(journal, beskrivelse, content=c) for c in contents))
    assert [r.status_code for r in responses] == [201] * 10, [r.text for r in responses if r.status_code != 201]
    async with journal.runtime.database.unit_of_work() as session:
        rows = (await session.execute(select(Dokumentobjekt.versjonsnummer, Dokumentobjekt.sjekksum).where(
            Dokumentobjekt.dokumentbeskrivelse_id == UUID(beskrivelse)))).all()
    assert sorted(n for n, _ in rows) == list(range(1, 12))
    assert {s for n, s in rows if n > 1} == {hashlib.sha256(c).hexdigest() for c in contents}
    added = [e["versjonsnummer"] for e in await _added_events(journal)]
    assert sorted(added) == list(range(1, 12))


async def test_concurrent_versions_are_gapless(journal: Journal) -> None:
    await _ten_concurrent_versions(journal)

