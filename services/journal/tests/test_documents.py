"""Documents: streaming upload with limits, sniffing and checksums; downloads; the archival variant."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from arkiv5_journal.models import Dokumentbeskrivelse, Dokumentobjekt

from .conftest import Journal, case, incoming

PDF = b"%PDF-1.7\n" + "Søknad – æøå\n".encode() * 500 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def _journalpost(journal: Journal) -> str:
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    response = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter", json=incoming(),
                                         headers=headers)
    return response.json()["systemID"]


async def _document_rows(journal: Journal) -> tuple[int, int]:
    async with journal.runtime.database.unit_of_work() as session:
        return ((await session.execute(select(func.count()).select_from(Dokumentbeskrivelse))).scalar_one(),
                (await session.execute(select(func.count()).select_from(Dokumentobjekt))).scalar_one())


async def test_upload_stores_content_addressed_and_downloads_the_same_bytes(journal: Journal, tmp_path: Path) -> None:
    jp = await _journalpost(journal)
    headers = journal.fagsystem()
    sha = hashlib.sha256(PDF).hexdigest()
    # The client claims text/plain; the bytes are a PDF and are recorded as such.
    response = await journal.client.post(
        f"/journalposter/{jp}/dokumenter", content=PDF,
        params={"tittel": "Søknad", "skanningKontrollert": "true", "sjekksum": sha, "filnavn": "soknad.pdf"},
        headers={**headers, "Content-Type": "text/plain"})
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["tilknyttetRegistreringSom"]["kode"] == "H" and body["skanningKontrollert"] is True
    [objekt] = body["dokumentobjekt"]
    assert (objekt["format"], objekt["sjekksum"], objekt["filstoerrelse"]) == ("application/pdf", sha, len(PDF))
    assert objekt["variantformat"]["kode"] == "P" and objekt["sjekksumAlgoritme"] == "SHA-256"
    assert (tmp_path / "blobs" / "sha256" / sha[:2] / sha[2:4] / sha).read_bytes() == PDF

    download = await journal.client.get(f"/dokumentobjekter/{objekt['systemID']}/fil", headers=headers)
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"

    [added] = [json.loads(p) for p in await journal.outbox_payloads("dokument.added.v1")]
    assert added["sha256"] == sha and added["variantformat"] == "P" and "Søknad" not in json.dumps(added)

    second = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=PNG, params={"tittel": "Vedlegg"},
                                       headers=headers)
    assert second.json()["tilknyttetRegistreringSom"]["kode"] == "V"
    assert second.json()["dokumentobjekt"][0]["format"] == "image/png"


async def test_oversized_and_mismatching_uploads_are_refused_with_nothing_registered(
    journal_factory: Any,
) -> None:
    async for journal in journal_factory(max_upload_bytes=1000):
        jp = await _journalpost(journal)
        headers = journal.fagsystem()
        too_big = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=PDF, params={"tittel": "x"},
                                            headers=headers)
        assert too_big.status_code == 413 and too_big.headers["content-type"].startswith("application/problem+json")

        async def chunks() -> Any:  # no Content-Length: the limit holds while streaming
            for _ in range(10):
                yield b"x" * 200

        streamed = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=chunks(),
                                             params={"tittel": "x"}, headers=headers)
        assert streamed.status_code == 413

        wrong = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=b"hello",
                                          params={"tittel": "x", "sjekksum": "0" * 64}, headers=headers)
        assert wrong.status_code == 422 and wrong.json()["type"].endswith("checksum-mismatch")

        bad_code = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=b"hello",
                                             params={"tittel": "x", "tilknyttetRegistreringSom": "Q"}, headers=headers)
        assert bad_code.status_code == 422 and "tilknyttetregistreringsom" in bad_code.json()["detail"]
        assert await _document_rows(journal) == (0, 0)
        assert await journal.outbox_payloads("dokument.added.v1") == []


async def test_conversion_attaches_the_archival_variant_once(journal: Journal) -> None:
    jp = await _journalpost(journal)
    upload = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=PDF, params={"tittel": "Søknad"},
                                       headers=journal.fagsystem())
    source = upload.json()["dokumentobjekt"][0]["systemID"]

    # Internal endpoints take service tokens with the internal scopes only.
    forbidden = await journal.client.get(f"/internal/dokumentobjekter/{source}/content", headers=journal.fagsystem())
    assert forbidden.status_code == 403
    fetched = await journal.client.get(f"/internal/dokumentobjekter/{source}/content",
                                       headers=journal.service("journal.documents.read"))
    assert fetched.content == PDF

    writer = {**journal.service("journal.documents.write-archival"), "X-Archival-Puid": "fmt/477",
              "Content-Type": "application/pdf"}
    archival = b"%PDF-1.7\n%archival\n%%EOF\n"
    first = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=archival,
                                     headers=writer)
    assert first.status_code == 201, first.text
    again = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=archival,
                                     headers=writer)
    assert again.status_code == 200 and again.json() == first.json()
    listed = (await journal.client.get(f"/journalposter/{jp}", headers=journal.fagsystem())).json()
    variant = {o["variantformat"]["kode"]: o for o in listed["dokumentbeskrivelse"][0]["dokumentobjekt"]}["A"]
    assert variant["systemID"] == first.json()["dokumentobjekt_id"] and variant["formatDetaljer"] == "fmt/477"
    # One URL per internal operation: the older duplicates are gone.
    assert (await journal.client.get(f"/internal/dokumentobjekter/{source}/fil",
                                     headers=journal.service("journal.documents.read"))).status_code == 404
    assert (await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivformat", content=archival,
                                     headers=writer)).status_code == 404
    assert await _document_rows(journal) == (1, 2)
    variants = [json.loads(p)["variantformat"] for p in await journal.outbox_payloads("dokument.added.v1")]
    assert variants == ["P", "A"]
