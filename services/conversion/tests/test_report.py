"""The morning report and the failure gauge: counted by the database, cheap on a bad day, safe on odd dates."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

from fakes import FakeJournal
from sqlalchemy import insert

from arkiv5_conversion.models import ConversionJob

UNSUPPORTED = b"\x7fELF\x02\x01\x01" + b"\x00" * 200  # fails at identification, no converter needed


async def _fail_jobs(harness, journal: FakeJournal, count: int) -> float:  # type: ignore[no-untyped-def]
    """Run `count` failing jobs through the worker; the mean seconds per job."""
    jp = uuid.uuid4()
    docs = [journal.add(jp, UNSUPPORTED + uuid.uuid4().bytes) for _ in range(count)]
    service = harness.service
    started = time.perf_counter()
    for doc in docs:
        job, _ = await service.convert_on_demand(dokumentobjekt_id=doc, journalpost_id=jp, wait=True)
        assert job.status == "failed" and job.reason_code == "unsupported-format"
    return (time.perf_counter() - started) / count


async def test_bookkeeping_per_failed_job_stays_flat_after_10000_failures_today(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    await _fail_jobs(harness, journal, 5)  # warm up (connections, imports)
    before = await _fail_jobs(harness, journal, 20)

    now = datetime.now(UTC)
    rows = [
        {"id": uuid.uuid4(), "dokumentobjekt_id": uuid.uuid4(), "source_sha256": "0" * 64, "trigger": "nightly",
         "status": "failed", "attempts": 1, "format": "unknown", "reason_code": "unsupported-format",
         "reason": "no archival rule", "created_at": now, "finished_at": now - timedelta(seconds=n % 600)}
        for n in range(10_000)
    ]
    async with harness.service.database.unit_of_work() as session:
        await session.execute(insert(ConversionJob), rows)

    after = await _fail_jobs(harness, journal, 20)
    # Loading the day's failures after every job cost ~0.1 s more per thousand; a count does not.
    assert after < 3 * before + 0.02, f"per job: {before * 1000:.1f} ms before, {after * 1000:.1f} ms after"

    metrics = (await harness.client.get("/metrics")).text
    gauge = next(line for line in metrics.splitlines() if line.startswith("arkiv5_conversion_failed_last_night{"))
    report = (await harness.client.get("/internal/reports/morning", headers=harness.headers("conversion.report"))).json()
    assert float(gauge.rsplit(" ", 1)[1]) == report["failed"]  # the gauge is this morning's count


async def test_report_counts_everything_and_lists_a_bounded_page(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    await _fail_jobs(harness, journal, 3)
    day = _report_day_for_now(harness)
    report = (await harness.client.get(f"/internal/reports/morning?date={day}",
                                       headers=harness.headers("conversion.report"))).json()
    assert report["failed"] == report["listed"] == len(report["failures"]) == 3
    assert {f["reason_code"] for f in report["failures"]} == {"unsupported-format"}


async def test_report_for_an_impossible_morning_is_refused_not_a_crash(make_db_app) -> None:  # type: ignore[no-untyped-def]
    harness = await make_db_app(FakeJournal(), convert_on_event=False)
    for day in ("0001-01-01", "9999-12-31"):
        answer = await harness.client.get(f"/internal/reports/morning?date={day}",
                                          headers=harness.headers("conversion.report"))
        assert answer.status_code == 422, answer.text
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert "out of range" in answer.json()["detail"]
    ordinary = await harness.client.get("/internal/reports/morning?date=0002-06-01",
                                        headers=harness.headers("conversion.report"))
    assert ordinary.status_code == 200 and ordinary.json()["failed"] == 0


def _report_day_for_now(harness) -> str:  # type: ignore[no-untyped-def]
    now_local = datetime.now(UTC).astimezone(harness.service.zone)
    cutoff = harness.service.settings.report_cutoff_hour
    return (now_local.date() + (timedelta(days=1) if now_local.hour >= cutoff else timedelta())).isoformat()
