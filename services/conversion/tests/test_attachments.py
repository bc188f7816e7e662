"""An e-mail's attachments become their own documents in the journal, each with its own job."""

from __future__ import annotations

import json
import shutil
import uuid
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import corpus
import httpx
from fakes import FakeJournal
from test_jobs import _jobs, _journalfoer, _outbox_types, _tiny_pdfa

from arkiv5_contracts.events.conversion import ConversionDone
from arkiv5_conversion.engine.listeners import OfficeResult
from arkiv5_conversion.journal_client import HttpJournalClient, JournalUnavailable, attachment_key
from arkiv5_kit.messaging import outbox_table

YESTERDAY = date(2026, 11, 20)


class CopyOffice:
    """Stands in for LibreOffice: every document 'converts' to a one-page PDF/A."""

    def __init__(self, pdfa: Path) -> None:
        self.pdfa = pdfa
        self.calls = 0

    async def convert(self, request: dict[str, Any], timeout_s: float) -> OfficeResult:
        self.calls += 1
        shutil.copy(self.pdfa, request["dst"])
        return OfficeResult(True, pages=1, kind="writer")


class FlakyJournal(FakeJournal):
    """Goes down once, while the second attachment is being filed."""

    failed_once: bool = False

    async def add_dokumentbeskrivelse(self, journalpost_id, content, **kwargs):  # type: ignore[no-untyped-def,override]
        if kwargs["attachment_index"] == 1 and not self.failed_once:
            self.failed_once = True
            raise JournalUnavailable("down for a moment")
        return await super().add_dokumentbeskrivelse(journalpost_id, content, **kwargs)


async def test_eml_attachments_become_own_documents_and_jobs_once(make_db_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdfa = tmp_path / "pdfa.pdf"
    pdfa.write_bytes(_tiny_pdfa())
    journal = FlakyJournal()
    harness = await make_db_app(journal, convert_on_event=False, office=CopyOffice(pdfa), retry_after_s=0)
    jp = uuid.uuid4()
    message = journal.add(jp, corpus.eml())
    await _journalfoer(harness, jp, datetime(2026, 11, 20, 15, tzinfo=UTC))

    first = await harness.service.run_nightly(YESTERDAY)
    second = await harness.service.run_nightly(YESTERDAY)

    assert first == second == {"done": 3, "failed": 0, "queued": 0, "running": 0, "remaining": 0}  # the message and its two attachments
    jobs = {j.dokumentobjekt_id: j for j in await _jobs(harness)}
    parent = jobs[message]
    children = [j for j in jobs.values() if j.parent_job_id == parent.id]
    assert sorted(j.format for j in children) == ["docx", "png"]
    assert all(j.trigger == "attachment" and j.journalpost_id == jp and j.status == "done" for j in children)
    # one document per attachment, though the journal went down half-way and the batch ran twice
    sha = parent.source_sha256
    assert sorted(journal.attachments) == [attachment_key(message, sha, 0), attachment_key(message, sha, 1)]
    assert journal.attachment_posts.count(attachment_key(message, sha, 0)) == 2  # retried, not duplicated
    meta = journal.attachment_metadata[journal.attachments[attachment_key(message, sha, 0)].dokumentobjekt_id]
    assert meta["tilknyttet_registrering_som"] == "V" and meta["filnavn"] == "søknad.docx"
    assert meta["kilde"] == {"dokumentobjekt_id": str(message), "sha256": sha, "vedlegg_indeks": 0}
    # the DOCX attachment got its own archival variant; the PNG is kept as it is
    docx_job = next(j for j in children if j.format == "docx")
    assert journal.puts.count(docx_job.dokumentobjekt_id) == 1
    assert next(j for j in children if j.format == "png").kept

    async with harness.service.database.sessions() as session:
        rows = (await session.execute(outbox_table.select())).all()
    done = [json.loads(r.payload) if isinstance(r.payload, str | bytes) else r.payload for r in rows
            if r.event_type == ConversionDone.event_type]
    assert (await _outbox_types(harness)).count(ConversionDone.event_type) == 3
    parent_event = next(_data(e) for e in done if _data(e)["source_dokumentobjekt_id"] == str(message))
    assert sorted(parent_event["attachment_dokumentobjekt_ids"]) == sorted(str(j.dokumentobjekt_id) for j in children)


def _data(payload: Any) -> dict[str, Any]:
    return payload.get("data", payload) if isinstance(payload, dict) else payload


async def test_on_demand_eml_without_journalpost_files_no_attachments(make_db_app, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pdfa = tmp_path / "pdfa.pdf"
    pdfa.write_bytes(_tiny_pdfa())
    journal = FakeJournal()
    harness = await make_db_app(journal, office=CopyOffice(pdfa))
    message = journal.add(uuid.uuid4(), corpus.eml())
    body = (await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(message)},
                                      headers=harness.headers("conversion.convert"))).json()
    assert body["status"] == "done" and journal.attachments == {}


async def test_http_client_posts_the_attachment_contract() -> None:
    seen: list[httpx.Request] = []
    made = {"dokumentbeskrivelse_id": str(uuid.uuid4()), "dokumentobjekt_id": str(uuid.uuid4())}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201, json={**made, "sha256": "ab" * 32})

    client = HttpJournalClient("http://journal", transport=httpx.MockTransport(handler))
    jp, source = uuid.uuid4(), uuid.uuid4()
    filed = await client.add_dokumentbeskrivelse(
        jp, b"%PNG-bytes", source_dokumentobjekt_id=source, source_sha256="cd" * 32, attachment_index=1,
        filename="kart.png", declared_media_type="image/png",
    )
    await client.aclose()
    assert str(filed.dokumentobjekt_id) == made["dokumentobjekt_id"]
    (request,) = seen
    assert request.method == "POST" and request.url.path == f"/internal/journalposter/{jp}/dokumentbeskrivelser"
    assert request.headers["Idempotency-Key"] == f"{source}:{'cd' * 32}:1"
    assert request.headers["content-type"].startswith("multipart/form-data")
    body = request.read()
    assert b'name="metadata"' in body and b'"vedlegg_indeks": 1' in body and b'"tilknyttet_registrering_som": "V"' in body
    assert b'name="file"; filename="kart.png"' in body and b"%PNG-bytes" in body


def _pdf_with_embedded_png() -> bytes:
    import io

    import pikepdf

    out = io.BytesIO()
    with pikepdf.open(io.BytesIO(corpus.pdf(1))) as document:
        document.attachments["kart.png"] = pikepdf.AttachedFileSpec(document, corpus.png(), filename="kart.png",
                                                                   mime_type="image/png")
        document.save(out)
    return out.getvalue()


async def test_pdf_embedded_files_become_own_documents_and_the_pdfa_is_made_without_them(  # type: ignore[no-untyped-def]
    make_db_app, ghostscript_installed: None,
) -> None:
    import pikepdf

    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    jp = uuid.uuid4()
    source = journal.add(jp, _pdf_with_embedded_png())
    await _journalfoer(harness, jp, datetime(2026, 11, 20, 15, tzinfo=UTC))

    assert await harness.service.run_nightly(YESTERDAY) == {"done": 2, "failed": 0, "queued": 0, "running": 0, "remaining": 0}  # the PDF and its embedded PNG

    jobs = {j.dokumentobjekt_id: j for j in await _jobs(harness)}
    parent = jobs[source]
    (child,) = [j for j in jobs.values() if j.parent_job_id == parent.id]
    assert (child.format, child.kept, child.trigger) == ("png", True, "attachment")
    key = attachment_key(source, parent.source_sha256, 0)
    assert journal.documents[journal.attachments[key].dokumentobjekt_id] == corpus.png()  # as it was embedded
    meta = journal.attachment_metadata[journal.attachments[key].dokumentobjekt_id]
    assert meta["filnavn"] == "kart.png" and meta["format"] == "image/png"
    archival = journal.variant_bytes[journal.variants[(source, parent.source_sha256)]]
    import io

    with pikepdf.open(io.BytesIO(archival)) as document:
        assert len(document.attachments) == 0 and len(document.pages) == 1
