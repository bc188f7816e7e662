"""Jobs end to end with a fake journal: event -> queue -> convert -> put back -> event; nightly; API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import corpus
from fakes import FakeJournal

from arkiv5_contracts.cloudevents import to_binary
from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.conversion import ConversionDone, ConversionFailed
from arkiv5_contracts.events.journal import JournalpostStatusChanged
from arkiv5_conversion.consumers import record_journalfoert
from arkiv5_conversion.engine.listeners import OfficeResult
from arkiv5_conversion.models import ConversionJob, JournalfoertJournalpost
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.transport.base import OutgoingMessage

YESTERDAY = date(2026, 11, 20)


def latin1_text(n: int) -> bytes:
    return f"Dokument {n}: søknad om løyve på Ørland\n".encode("iso-8859-1")


async def _journalfoer(harness, journalpost_id: uuid.UUID, at: datetime) -> None:  # type: ignore[no-untyped-def]
    async with harness.service.database.unit_of_work() as session:
        await record_journalfoert(session, settings=harness.service.settings, journalpost_id=journalpost_id,
                                  saksmappe_id=uuid.uuid4(), at=at)


async def _outbox_types(harness) -> list[str]:  # type: ignore[no-untyped-def]
    async with harness.service.database.sessions() as session:
        rows = (await session.execute(outbox_table.select())).all()
    return [row.event_type for row in rows]


async def _journalposts(harness) -> list[JournalfoertJournalpost]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    async with harness.service.database.sessions() as session:
        return list((await session.execute(select(JournalfoertJournalpost))).scalars().all())


async def _jobs(harness) -> list[ConversionJob]:  # type: ignore[no-untyped-def]
    from sqlalchemy import select

    async with harness.service.database.sessions() as session:
        return list((await session.execute(select(ConversionJob))).scalars().all())


def _night(hour: int = 15) -> datetime:
    return datetime(2026, 11, 20, hour, tzinfo=UTC)


async def test_nightly_batch_run_twice_converts_each_document_once(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    posts = [uuid.uuid4() for _ in range(3)]
    docs = [journal.add(jp, latin1_text(i * 10 + k)) for i, jp in enumerate(posts) for k in range(2)]
    for jp in posts:
        await _journalfoer(harness, jp, _night())
    other_day = uuid.uuid4()
    journal.add(other_day, latin1_text(99))
    await _journalfoer(harness, other_day, _night() + timedelta(days=1))

    first = await harness.service.run_nightly(YESTERDAY)
    second = await harness.service.run_nightly(YESTERDAY)

    assert first == second == {"done": 6, "failed": 0, "queued": 0, "running": 0, "remaining": 0}
    assert sorted(journal.puts) == sorted(docs)  # one put per document, none for the other day
    assert sorted(journal.downloads) == sorted(docs)
    types = await _outbox_types(harness)
    assert types.count(ConversionDone.event_type) == 6


async def test_crash_mid_batch_resumes_without_redoing(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()

    class HangsOnce:
        """An office engine that hangs on the third document the first time (the 'crash')."""

        def __init__(self) -> None:
            self.calls = 0
            self.hang = True

        async def convert(self, request: dict[str, Any], timeout_s: float) -> OfficeResult:
            self.calls += 1
            if self.hang and self.calls == 3:
                await asyncio.Event().wait()
            import shutil

            shutil.copy(corpus_pdfa, request["dst"])
            return OfficeResult(True, pages=1, kind="writer")

    engine = HangsOnce()
    harness = await make_db_app(journal, convert_on_event=False, office=engine, workers=1, job_lease_s=0.5)
    import tempfile
    from pathlib import Path

    corpus_pdfa = Path(tempfile.mkdtemp()) / "pdfa.pdf"
    corpus_pdfa.write_bytes(_tiny_pdfa())
    jp = uuid.uuid4()
    docs = [journal.add(jp, corpus.docx().replace(b"word/", b"word/", 1) + bytes([i])) for i in range(5)]
    await _journalfoer(harness, jp, _night())

    batch = asyncio.create_task(harness.service.run_nightly(YESTERDAY))
    while engine.calls < 3:
        await asyncio.sleep(0.02)
    batch.cancel()  # the process dies mid-batch
    await asyncio.gather(batch, return_exceptions=True)
    statuses = sorted(j.status for j in await _jobs(harness))
    assert statuses.count("done") == 2 and "running" in statuses

    engine.hang = False
    await asyncio.sleep(0.6)  # the dead worker's lease runs out
    assert await harness.service.run_nightly(YESTERDAY) == {"done": 5, "failed": 0, "queued": 0, "running": 0, "remaining": 0}
    assert sorted(set(journal.puts)) == sorted(docs) and len(journal.puts) == 5


def _tiny_pdfa() -> bytes:
    import io

    import pikepdf

    out = io.BytesIO()
    with pikepdf.new() as pdf:
        pdf.add_blank_page()
        with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
            meta["pdfaid:part"] = "2"
            meta["pdfaid:conformance"] = "B"
        pdf.save(out)
    return out.getvalue()


async def test_jobs_come_from_the_document_events_in_either_order(make_db_app) -> None:  # type: ignore[no-untyped-def]
    """One document told before its journalpost reached J, one after: both converted, the journal never
    asked for the journalpost's documents (the events carry what a job needs)."""
    journal = FakeJournal()
    harness = await make_db_app(journal)
    jp = uuid.uuid4()
    doc = journal.add(jp, latin1_text(1))
    kept = journal.add(jp, corpus.png())
    reached_j = JournalpostStatusChanged(
        journalpost_id=jp, saksmappe_id=uuid.uuid4(), journalposttype=list(Journalposttype)[0],
        from_status=list(Journalstatus)[0], to_status=Journalstatus("J"), journaldato=YESTERDAY,
    )
    bus = harness.app.state.runtime.transport
    for event in (journal.added_event(jp, doc), reached_j, journal.added_event(jp, kept)):
        message = to_binary(Envelope.wrap(event))
        await bus.publish([OutgoingMessage(topic=event.topic, key=message.key, value=message.value,
                                           headers=list(message.headers))])
    for _ in range(200):
        jobs = await _jobs(harness)
        if len(jobs) == 2 and all(j.status == "done" for j in jobs):
            break
        await asyncio.sleep(0.05)
    by_doc = {j.dokumentobjekt_id: j for j in await _jobs(harness)}
    assert by_doc[doc].status == "done" and by_doc[doc].archival_dokumentobjekt_id == journal.variants[(doc, by_doc[doc].source_sha256)]
    assert by_doc[kept].kept and by_doc[kept].archival_dokumentobjekt_id == kept
    assert journal.puts == [doc]  # the PNG is already archival: nothing to put back
    assert journal.listed == []
    assert (await _outbox_types(harness)).count(ConversionDone.event_type) == 2


async def test_sweep_makes_the_job_two_concurrent_consumers_both_missed(make_db_app) -> None:  # type: ignore[no-untyped-def]
    """The document and the J recorded in transactions that could not see each other: no job yet."""
    from arkiv5_conversion.consumers import record_document

    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    jp = uuid.uuid4()
    doc = journal.add(jp, latin1_text(2))
    async with harness.service.database.unit_of_work() as session:
        await record_document(session, journal.added_event(jp, doc))
    await _journalfoer(harness, jp, datetime.now(UTC))
    assert await _jobs(harness) == []
    assert await harness.service.sweep_recent_documents() == 1
    assert await harness.service.sweep_recent_documents() == 0
    [job] = await _jobs(harness)
    assert (job.dokumentobjekt_id, job.journalpost_id, job.status) == (doc, jp, "queued")


async def test_on_demand_api_converts_once_and_reports_failures(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal)
    jp = uuid.uuid4()
    good = journal.add(jp, latin1_text(7))
    bad = journal.add(jp, corpus.encrypted_pdf())
    headers = harness.headers("conversion.convert")

    created = await harness.client.post(  # the SvarUt gateway's call
        "/internal/conversions", json={"dokumentobjekt_id": str(good), "target_media_type": "application/pdf"},
        headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "done" and body["archival_dokumentobjekt_id"] and body["source_puid"] == "x-fmt/111"
    again = await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(good)}, headers=headers)
    assert again.status_code == 200 and again.json()["job_id"] == body["job_id"]
    assert journal.puts == [good]

    failed = await harness.client.post(
        "/internal/conversions", json={"dokumentobjekt_id": str(bad), "journalpost_id": str(jp)}, headers=headers)
    assert failed.json()["status"] == "failed" and failed.json()["reason_code"] == "password-protected"
    assert ConversionFailed.event_type in await _outbox_types(harness)

    # the failure happened now; ask for the morning whose window holds "now"
    now_local = datetime.now(UTC).astimezone(harness.service.zone)
    day = now_local.date() + (timedelta(days=1) if now_local.hour >= 12 else timedelta())
    report = await harness.client.get(f"/internal/reports/morning?date={day}", headers=harness.headers("conversion.report"))
    assert report.status_code == 200
    failures = report.json()["failures"]
    assert [(f["dokumentobjekt_id"], f["format"], f["reason_code"], f["journalpost_id"]) for f in failures] == [
        (str(bad), "pdf", "password-protected", str(jp))]

    metrics = (await harness.client.get("/metrics")).text
    assert 'arkiv5_conversion_jobs_total{format="txt",outcome="done",service="conversion"}' in metrics
    assert 'arkiv5_conversion_jobs_total{format="pdf",outcome="failed",service="conversion"}' in metrics
    # A metric per reason, for a dashboard and an alert that say why, not only how many.
    assert 'arkiv5_conversion_failures_total{reason="password-protected",service="conversion"}' in metrics
    # the duration is labelled with the identified format, not "unknown"
    assert 'arkiv5_conversion_duration_seconds_count{format="txt",service="conversion"}' in metrics


async def test_rerun_failures(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal)
    doc = journal.add(uuid.uuid4(), b"\x7fELF\x02\x01\x01" + b"\x00" * 200)
    headers = harness.headers("conversion.convert")
    first = (await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(doc)}, headers=headers)).json()
    assert first["reason_code"] == "unsupported-format" and "application/" in first["reason"]
    rerun = await harness.client.post("/internal/conversions/rerun-failed", json={"job_ids": [first["job_id"]]}, headers=headers)
    assert rerun.json() == {"requeued": 1}
    for _ in range(100):
        job = (await harness.client.get(f"/internal/conversions/{first['job_id']}", headers=headers)).json()
        if job["status"] == "failed" and job["attempts"] == 2:
            break
        await asyncio.sleep(0.05)
    assert job["attempts"] == 2


async def test_api_rejects_bad_input_and_missing_scope(make_db_app) -> None:  # type: ignore[no-untyped-def]
    harness = await make_db_app(FakeJournal())
    bad = await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": "nope"},
                                    headers=harness.headers("conversion.convert"))
    assert bad.status_code == 422 and bad.headers["content-type"].startswith("application/problem+json")
    missing = await harness.client.post("/internal/conversions", json={"dokumentobjekt_id": str(uuid.uuid4())},
                                        headers=harness.headers("conversion.convert"))
    assert missing.status_code == 404
    forbidden = await harness.client.get("/internal/reports/morning", headers=harness.headers("conversion.convert"))
    assert forbidden.status_code == 403
    assert await _jobs(harness) == []


async def test_journal_down_requeues_instead_of_failing(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False, retry_after_s=0)
    jp = uuid.uuid4()
    journal.add(jp, latin1_text(3))
    await _journalfoer(harness, jp, _night())
    [journalpost] = await _journalposts(harness)
    await harness.service.queue_journalpost(journalpost, trigger="nightly")
    journal.unavailable = True
    job = await harness.service.claim()
    await harness.service.run_job(job)
    assert [j.status for j in await _jobs(harness)] == ["queued"]
    journal.unavailable = False
    await harness.service.drain()
    assert [j.status for j in await _jobs(harness)] == ["done"]


def test_schedule_is_local_time() -> None:
    from arkiv5_conversion.service import ConversionService
    from arkiv5_conversion.settings import ConversionSettings

    service = ConversionService.__new__(ConversionService)
    service.settings = ConversionSettings(nightly_time="01:00", timezone="Europe/Oslo")
    from zoneinfo import ZoneInfo

    service.zone = ZoneInfo("Europe/Oslo")
    after = datetime(2026, 11, 20, 23, 30, tzinfo=UTC)  # 00:30 in Oslo on the 21st
    assert service.next_run(after) == datetime(2026, 11, 21, 0, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 10, 0, tzinfo=UTC)
    assert service.next_run(summer) == datetime(2026, 7, 1, 23, 0, tzinfo=UTC)
