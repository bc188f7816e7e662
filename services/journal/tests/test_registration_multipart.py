"""One request registers a journalpost with its documents (multipart/form-data), or refuses and writes nothing."""

from __future__ import annotations

import hashlib
import json
from typing import Any
from uuid import UUID

import httpx
from sqlalchemy import func, select

from arkiv5_journal.models import Dokumentbeskrivelse, Dokumentobjekt, Endringslogg, Journalpost, Korrespondansepart
from arkiv5_kit.messaging import outbox_table

from .conftest import FNR, Journal, case, incoming

PDF = b"%PDF-1.7\n" + "Søknad – æøå\n".encode() * 500 + b"%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def multipart(metadata: dict[str, Any] | bytes | None, files: dict[str, tuple[str, bytes, str]]) -> tuple[bytes, str]:
    """A multipart body as a fagsystem sends it: the journalpost JSON part and one part per file."""
    data = {} if metadata is None else {
        "journalpost": metadata if isinstance(metadata, bytes) else json.dumps(metadata)}
    request = httpx.Request("POST", "http://t/", data=data, files=files)
    return request.read(), request.headers["Content-Type"]


async def _rows(journal: Journal) -> tuple[int, ...]:
    async with journal.runtime.database.unit_of_work() as session:
        return tuple([(await session.execute(select(func.count()).select_from(table))).scalar_one()
                      for table in (Journalpost, Korrespondansepart, Dokumentbeskrivelse, Dokumentobjekt, Endringslogg,
                                    outbox_table)])


async def _case(journal: Journal) -> str:
    created = await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())
    return f"/saksmapper/{created.json()['systemID']}/journalposter"


async def test_journalpost_and_its_documents_are_registered_in_one_request(journal: Journal) -> None:
    url = await _case(journal)
    metadata = incoming(dokumentbeskrivelse=[
        {"fil": "soknad", "tittel": "Søknad", "dokumenttype": "B",
         "sjekksum": hashlib.sha256(PDF).hexdigest()}])
    body, content_type = multipart(metadata, {"soknad": ("soknad.pdf", PDF, "application/pdf"),
                                              "kart": ("kart.png", PNG, "image/png")})
    response = await journal.client.post(url, content=body, headers={**journal.fagsystem(),
                                                                      "Content-Type": content_type})
    assert response.status_code == 201, response.text
    jp = response.json()
    assert (jp["journalpostnummer"], jp["journalsekvensnummer"]) == (1, 1)
    assert response.headers["location"] == f"/journalposter/{jp['systemID']}"
    assert [p["foedselsnummer"] for p in jp["korrespondansepart"]][0] == FNR
    [main, attachment] = jp["dokumentbeskrivelse"]
    assert (main["dokumentnummer"], main["tittel"], main["tilknyttetRegistreringSom"]["kode"],
            main["dokumenttype"]["kode"]) == (1, "Søknad", "H", "B")
    assert (attachment["dokumentnummer"], attachment["tittel"], attachment["tilknyttetRegistreringSom"]["kode"]) == (
        2, "kart.png", "V")
    [pdf] = main["dokumentobjekt"]
    [png] = attachment["dokumentobjekt"]
    assert (pdf["format"], pdf["sjekksum"], pdf["filstoerrelse"], pdf["filnavn"], pdf["variantformat"]["kode"]) == (
        "application/pdf", hashlib.sha256(PDF).hexdigest(), len(PDF), "soknad.pdf", "P")
    assert (png["format"], png["sjekksum"]) == ("image/png", hashlib.sha256(PNG).hexdigest())

    # The same record reads back, the bytes download unchanged, the events go out in order.
    again = await journal.client.get(f"/journalposter/{jp['systemID']}", headers=journal.fagsystem())
    assert again.json()["dokumentbeskrivelse"] == jp["dokumentbeskrivelse"]
    download = await journal.client.get(f"/dokumentobjekter/{pdf['systemID']}/fil", headers=journal.fagsystem())
    assert download.status_code == 200 and download.content == PDF
    types = await journal.outbox_types()
    assert types[-3:] == ["no.arkiv5.journal.journalpost.registered.v1", "no.arkiv5.journal.dokument.added.v1",
                          "no.arkiv5.journal.dokument.added.v1"]
    [registered] = [json.loads(p) for p in await journal.outbox_payloads("journalpost.registered.v1")]
    assert registered["journalsekvensnummer"] == jp["journalsekvensnummer"]
    added = [json.loads(p) for p in await journal.outbox_payloads("dokument.added.v1")]
    assert [a["dokumentobjekt_id"] for a in added] == [pdf["systemID"], png["systemID"]]
    async with journal.runtime.database.unit_of_work() as session:
        logged = set((await session.execute(select(Endringslogg.referanse_metadata).where(
            Endringslogg.referanse_arkivenhet == UUID(pdf["systemID"])))).scalars())
    assert {"sjekksum", "filstoerrelse", "format", "versjonsnummer"} <= logged


async def test_every_bad_multipart_request_is_refused_precisely_and_writes_nothing(journal: Journal) -> None:
    url = await _case(journal)
    headers = journal.fagsystem()
    before = await _rows(journal)

    async def post(body: bytes, content_type: str) -> httpx.Response:
        return await journal.client.post(url, content=body, headers={**headers, "Content-Type": content_type})

    def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
        assert response.status_code == status, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["type"].endswith(slug), response.text
        return response.json()

    good, content_type = multipart(incoming(), {"dokument": ("a.pdf", PDF, "application/pdf")})
    boundary = content_type.partition("boundary=")[2]

    problem(await post(b"not multipart at all", content_type), 400, "malformed-multipart")
    problem(await post(good, "multipart/form-data"), 400, "malformed-multipart")  # no boundary
    problem(await post(good[: len(good) // 2], content_type), 400, "malformed-multipart")  # cut off
    problem(await post(good.replace(b"Content-Disposition: form-data", b"Content-Disposition: inline", 1),
                       content_type), 400, "malformed-multipart")

    no_metadata, no_metadata_type = multipart(None, {"dokument": ("a.pdf", PDF, "application/pdf")})
    missing = problem(await post(no_metadata, no_metadata_type), 422, "unprocessable")
    assert missing["errors"][0]["field"] == "body.journalpost"

    not_json, not_json_type = multipart(b"{not json", {"dokument": ("a.pdf", PDF, "application/pdf")})
    assert problem(await post(not_json, not_json_type), 422, "validation-error")["errors"][0]["field"].startswith(
        "body.journalpost")

    bad_fnr = incoming()
    bad_fnr["korrespondansepart"][0]["foedselsnummer"] = "01010012357"
    body, body_type = multipart(bad_fnr, {"dokument": ("a.pdf", PDF, "application/pdf")})
    response = await post(body, body_type)
    assert problem(response, 422, "validation-error")["errors"][0]["field"] == (
        "body.journalpost.korrespondansepart.0.foedselsnummer")
    assert "01010012357" not in response.text

    body, body_type = multipart(incoming(dokumentbeskrivelse=[{"fil": "vedlegg", "tittel": "Kart"}]),
                                {"dokument": ("a.pdf", PDF, "application/pdf")})
    unknown = problem(await post(body, body_type), 422, "unprocessable")
    assert unknown["errors"][0]["field"] == "body.dokumentbeskrivelse.0.fil"

    body, body_type = multipart(incoming(dokumentbeskrivelse=[{"fil": "dokument", "sjekksum": "0" * 64}]),
                                {"dokument": ("a.pdf", PDF, "application/pdf")})
    problem(await post(body, body_type), 422, "checksum-mismatch")

    body, body_type = multipart(incoming(), {"dokument": ("a.pdf", b"", "application/pdf")})
    problem(await post(body, body_type), 422, "unprocessable")

    same_name = good.replace(f"--{boundary}--".encode(), b"", 1) + (
        f'--{boundary}\r\nContent-Disposition: form-data; name="dokument"; filename="b.pdf"\r\n'
        f"Content-Type: application/pdf\r\n\r\n").encode() + PDF + f"\r\n--{boundary}--\r\n".encode()
    problem(await post(same_name, content_type), 422, "unprocessable")

    json_with_files = await journal.client.post(url, json=incoming(dokumentbeskrivelse=[{"fil": "dokument"}]),
                                                headers=headers)
    problem(json_with_files, 422, "unprocessable")
    problem(await post(b"journalpost", "text/plain"), 415, "unsupported-media-type")

    assert await _rows(journal) == before


async def test_size_and_count_limits_stop_the_upload_and_write_nothing(journal_factory: Any) -> None:
    async for journal in journal_factory(max_upload_bytes=4096, max_documents_per_registration=2):
        url = await _case(journal)
        headers = journal.fagsystem()
        before = await _rows(journal)
        big, big_type = multipart(incoming(), {"dokument": ("big.pdf", PDF + b"x" * 4096, "application/pdf")})
        response = await journal.client.post(url, content=big, headers={**headers, "Content-Type": big_type})
        assert response.status_code == 413 and "4096" in response.json()["detail"]

        many, many_type = multipart(incoming(), {f"d{i}": (f"{i}.png", PNG, "image/png") for i in range(3)})
        response = await journal.client.post(url, content=many, headers={**headers, "Content-Type": many_type})
        assert response.status_code == 422 and "At most 2 documents" in response.json()["detail"]
        assert await _rows(journal) == before

        two, two_type = multipart(incoming(), {f"d{i}": (f"{i}.png", PNG, "image/png") for i in range(2)})
        response = await journal.client.post(url, content=two, headers={**headers, "Content-Type": two_type})
        assert response.status_code == 201, response.text



async def test_an_oversized_json_body_is_refused_without_a_content_length(journal: Journal) -> None:
    url = await _case(journal)
    before = await _rows(journal)

    async def chunked() -> Any:
        yield b'{"journalposttype": "I", "tittel": "'
        for _ in range(1100):
            yield b"x" * 1024
        yield b'"}'

    response = await journal.client.post(url, content=chunked(), headers={
        **journal.fagsystem(), "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["type"].endswith("payload-too-large")
    assert await _rows(journal) == before
