"""The internal API other services call, exactly as docs/conversion.md and docs/svarut-gateway.md
specify it: documents to convert, bytes, the archival variant, e-mail attachments, dispatch material."""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import func, select

from arkiv5_journal.models import Dokumentbeskrivelse, Dokumentobjekt

from .conftest import ORGNR, Journal, case, incoming

PDF = b"%PDF-1.7\n" + "Vedtak – æøå\n".encode() * 200 + b"%%EOF\n"
ARCHIVAL = b"%PDF-1.7\n%archival\n%%EOF\n"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


async def _journalpost(journal: Journal, **overrides: object) -> str:
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    response = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter",
                                         json=incoming(**overrides), headers=headers)
    assert response.status_code == 201, response.text
    return response.json()["systemID"]


async def _upload(journal: Journal, jp: str, content: bytes = PDF, tittel: str = "Vedtak") -> str:
    response = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=content,
                                         params={"tittel": tittel, "filnavn": "vedtak.pdf"},
                                         headers=journal.fagsystem())
    assert response.status_code == 201, response.text
    return response.json()["dokumentobjekt"][0]["systemID"]


async def _rows(journal: Journal) -> tuple[int, int]:
    async with journal.runtime.database.unit_of_work() as session:
        return ((await session.execute(select(func.count()).select_from(Dokumentbeskrivelse))).scalar_one(),
                (await session.execute(select(func.count()).select_from(Dokumentobjekt))).scalar_one())


async def test_conversion_lists_downloads_and_attaches_the_archival_variant_idempotently(journal: Journal) -> None:
    jp = await _journalpost(journal)
    source = await _upload(journal, jp)
    reader = journal.service("journal.documents.read")
    listed = await journal.client.get(f"/internal/journalposter/{jp}/dokumentobjekter", headers=reader)
    assert listed.status_code == 200
    assert listed.json() == [{"dokumentobjekt_id": source, "sha256": hashlib.sha256(PDF).hexdigest(),
                              "size": len(PDF), "media_type": "application/pdf", "variantformat": "P"}]
    content = await journal.client.get(f"/internal/dokumentobjekter/{source}/content", headers=reader)
    assert content.status_code == 200 and content.content == PDF

    writer = journal.service("journal.documents.write-archival")
    headers = {**writer, "Content-Type": "application/pdf", "X-Source-Sha256": hashlib.sha256(PDF).hexdigest(),
               "X-Archival-Sha256": hashlib.sha256(ARCHIVAL).hexdigest(), "X-Archival-Puid": "fmt/477"}
    first = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=ARCHIVAL,
                                     headers=headers)
    assert first.status_code == 201, first.text
    # A retry after a lost answer: the same archival variant, never two.
    again = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=ARCHIVAL,
                                     headers=headers)
    assert again.status_code == 200 and again.json() == first.json()
    assert await _rows(journal) == (1, 2)
    jp_body = (await journal.client.get(f"/journalposter/{jp}", headers=journal.fagsystem())).json()
    variants = {o["variantformat"]["kode"]: o for o in jp_body["dokumentbeskrivelse"][0]["dokumentobjekt"]}
    assert variants["A"]["systemID"] == first.json()["dokumentobjekt_id"]
    assert variants["A"]["formatDetaljer"] == "fmt/477"
    # Only production variants are listed for conversion.
    listed = await journal.client.get(f"/internal/journalposter/{jp}/dokumentobjekter", headers=reader)
    assert [d["dokumentobjekt_id"] for d in listed.json()] == [source]


async def test_archival_variant_refuses_stale_sources_and_bad_checksums_writing_nothing(journal: Journal) -> None:
    jp = await _journalpost(journal)
    source = await _upload(journal, jp)
    writer = journal.service("journal.documents.write-archival")
    stale = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=ARCHIVAL,
                                     headers={**writer, "X-Source-Sha256": "0" * 64})
    assert stale.status_code == 409
    garbled = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=ARCHIVAL,
                                       headers={**writer, "X-Archival-Sha256": "1" * 64})
    assert garbled.status_code == 422
    assert await _rows(journal) == (1, 1)
    wrong_scope = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=ARCHIVAL,
                                           headers=journal.service("journal.documents.read"))
    assert wrong_scope.status_code == 403


async def test_email_attachment_is_filed_once_as_its_own_document(journal: Journal) -> None:
    jp = await _journalpost(journal)
    email = await _upload(journal, jp, content=b"From: a@b.no\r\nSubject: Soknad\r\n\r\nHei\r\n", tittel="E-post")
    attachment = PDF + b"%vedlegg\n"
    metadata = {"tittel": "søknad.pdf", "tilknyttet_registrering_som": "V", "variantformat": "P",
                "filnavn": "søknad.pdf", "format": DOCX, "sha256": hashlib.sha256(attachment).hexdigest(),
                "size": len(attachment), "kilde": {"dokumentobjekt_id": email, "sha256": "a" * 64, "vedlegg_indeks": 0}}
    writer = journal.service("journal.documents.write-archival")

    async def post(meta: dict[str, object], content: bytes, journalpost: str = jp):  # type: ignore[no-untyped-def]
        return await journal.client.post(
            f"/internal/journalposter/{journalpost}/dokumentbeskrivelser",
            headers={**writer, "Idempotency-Key": f"{email}:{'a' * 64}:0"},
            files={"metadata": (None, json.dumps(meta), "application/json"),
                   "file": ("søknad.pdf", content, DOCX)})

    wrong = await post(metadata, attachment + b"tampered")
    assert wrong.status_code == 422 and wrong.json()["type"].endswith("checksum-mismatch")
    assert await _rows(journal) == (1, 1)
    first = await post(metadata, attachment)
    assert first.status_code == 201, first.text
    again = await post(metadata, attachment)
    assert again.status_code == 200 and again.json() == first.json()
    assert first.json()["sha256"] == metadata["sha256"]
    assert await _rows(journal) == (2, 2)
    body = (await journal.client.get(f"/journalposter/{jp}", headers=journal.fagsystem())).json()
    filed = body["dokumentbeskrivelse"][1]
    assert filed["systemID"] == first.json()["dokumentbeskrivelse_id"]
    assert filed["tilknyttetRegistreringSom"]["kode"] == "V"
    # Sniffed from the bytes, not the sender's declaration.
    assert filed["dokumentobjekt"][0]["format"] == "application/pdf"
    listed = await journal.client.get(f"/internal/journalposter/{jp}/dokumentobjekter",
                                      headers=journal.service("journal.documents.read"))
    assert first.json()["dokumentobjekt_id"] in [d["dokumentobjekt_id"] for d in listed.json()]
    unknown = await post(metadata, attachment, journalpost="00000000-0000-4000-8000-00000000dead")
    assert unknown.status_code == 404


async def test_dispatch_material_for_the_svarut_gateway(journal: Journal) -> None:
    jp = await _journalpost(journal, journalposttype="U", mottattDato=None, korrespondansepart=[
        {"korrespondanseparttype": "EM", "korrespondansepartNavn": "Lindesnes Bygg AS", "organisasjonsnummer": ORGNR,
         "postadresse": ["Postboks 1", "Storgata 1"], "postnummer": "4514", "poststed": "Mandal"},
        {"korrespondanseparttype": "IK", "korrespondansepartNavn": "Intern kopi"}])
    main = await _upload(journal, jp)
    attachment = await _upload(journal, jp, content=PDF + b"%2\n", tittel="Vedlegg")
    # The gateway holds journal.read as one of Arkiv5's own services (the access seed's grant).
    gateway = journal.issuer.headers(sub="svarut-gateway", audience="journal", scopes=["journal.read"],
                                     roles=["intern-tjeneste"])
    response = await journal.client.get(f"/internal/journalposter/{jp}/dispatch-material", headers=gateway)
    assert response.status_code == 200, response.text
    material = response.json()
    assert material["journalpost_id"] == jp and material["skjermet"] is False
    [recipient] = material["recipients"]  # external recipients only
    assert recipient["organisasjonsnummer"] == ORGNR and recipient["navn"] == "Lindesnes Bygg AS"
    assert recipient["postadresse"] == {"adresselinje1": "Postboks 1", "adresselinje2": "Storgata 1",
                                        "adresselinje3": None, "postnummer": "4514", "poststed": "Mandal",
                                        "landkode": "NO"}
    assert [(d["dokumentobjekt_id"], d["hoveddokument"]) for d in material["documents"]] == [
        (main, True), (attachment, False)]
    assert material["documents"][0]["archival_pdf_dokumentobjekt_id"] is None
    assert material["metadata"]["journalposttype"] == "U" and material["metadata"]["journalpostnummer"] == 1
    content = await journal.client.get(f"/internal/dokumentobjekter/{main}/content", headers=gateway)
    assert content.status_code == 200 and content.content == PDF
    # journal.read opens these only to Arkiv5's own services, never to a person or a fagsystem.
    for outsider in (journal.fagsystem(), journal.fagsystem(["journal.read"])):
        assert (await journal.client.get(f"/internal/dokumentobjekter/{main}/content",
                                         headers=outsider)).status_code == 403
        assert (await journal.client.get(f"/internal/journalposter/{jp}/dispatch-material",
                                         headers=outsider)).status_code == 403
