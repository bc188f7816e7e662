"""The nightly batch in hand: run now for a date or a range over the API, see how far it got."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, date, datetime

import pytest
from fakes import FakeJournal
from test_jobs import _journalfoer, latin1_text


async def test_batch_run_now_by_api_twice_and_its_status(make_db_app, caplog: pytest.LogCaptureFixture) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    jp = uuid.uuid4()
    docs = [journal.add(jp, latin1_text(n)) for n in range(2)]
    await _journalfoer(harness, jp, datetime(2026, 11, 20, 15, tzinfo=UTC))
    convert, report = harness.headers("conversion.convert"), harness.headers("conversion.report")

    before = (await harness.client.get("/internal/batches/2026-11-20", headers=report)).json()
    assert before["status"] == "not-started" and before["journalposts_not_yet_listed"] == 1

    caplog.set_level(logging.INFO, logger="arkiv5_conversion.batches")
    for run in (1, 2):
        started = await harness.client.post("/internal/batches", json={"from": "2026-11-20"}, headers=convert)
        assert started.status_code == 202, started.text
        assert started.json() == {"started": ["2026-11-20"], "status": ["/internal/batches/2026-11-20"]}
        await harness.service.wait_for_batches()
        status = (await harness.client.get("/internal/batches/2026-11-20", headers=report)).json()
        assert (status["status"], status["runs"], status["journalposts"]) == ("done", run, 1)
        assert status["documents"] == {"done": 2, "failed": 0, "queued": 0, "running": 0, "remaining": 0}
        assert status["started_at"] and status["ended_at"] and status["journalposts_not_yet_listed"] == 0
    assert sorted(journal.puts) == sorted(docs)  # the second run converted nothing again
    messages = [" ".join(r.getMessage().split()[:3]) for r in caplog.records]
    assert messages.count("conversion batch started") == 2 and messages.count("conversion batch ended") == 2

    morning = (await harness.client.get("/internal/reports/morning?date=2026-11-21", headers=report)).json()
    assert morning["batch"] == {"j_date": "2026-11-20", "href": "/internal/batches/2026-11-20", "status": "done"}


async def test_a_journalpost_reaching_j_after_the_batch_marks_it_stale(make_db_app) -> None:  # type: ignore[no-untyped-def]
    """Late to its own date (the J event came after the batch ended): the batch says so, and runs again."""
    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    report = harness.headers("conversion.report")
    first, late = uuid.uuid4(), uuid.uuid4()
    journal.add(first, latin1_text(1))
    late_doc = journal.add(late, latin1_text(2))
    await _journalfoer(harness, first, datetime(2026, 11, 20, 9, tzinfo=UTC))
    assert (await harness.service.run_nightly(date(2026, 11, 20)))["done"] == 1

    await _journalfoer(harness, late, datetime(2026, 11, 20, 22, tzinfo=UTC))
    status = (await harness.client.get("/internal/batches/2026-11-20", headers=report)).json()
    assert (status["status"], status["journalposts"], status["journalposts_not_yet_listed"]) == ("stale", 2, 1)
    await _journalfoer(harness, uuid.uuid4(), datetime(2026, 11, 21, 9, tzinfo=UTC))  # another date: untouched
    assert (await harness.client.get("/internal/batches/2026-11-20", headers=report)).json()["status"] == "stale"

    counts = await harness.service.run_nightly(date(2026, 11, 20))
    assert counts["done"] == 2 and counts["remaining"] == 0 and late_doc in journal.puts
    status = (await harness.client.get("/internal/batches/2026-11-20", headers=report)).json()
    assert (status["status"], status["runs"], status["journalposts_not_yet_listed"]) == ("done", 2, 0)


async def test_a_journalpost_reaching_j_while_the_batch_runs_is_taken_before_it_ends(make_db_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_db_app(journal, convert_on_event=False)
    first, during = uuid.uuid4(), uuid.uuid4()
    journal.add(first, latin1_text(1))
    journal.add(during, latin1_text(2))
    await _journalfoer(harness, first, datetime(2026, 11, 20, 9, tzinfo=UTC))
    drain = harness.service.drain

    async def drain_then_one_more_reaches_j(**kwargs):  # type: ignore[no-untyped-def]
        await drain(**kwargs)
        if during not in kwargs["journalpost_ids"]:
            await _journalfoer(harness, during, datetime(2026, 11, 20, 22, tzinfo=UTC))

    harness.service.drain = drain_then_one_more_reaches_j
    counts = await harness.service.run_nightly(date(2026, 11, 20))
    assert counts == {"done": 2, "failed": 0, "queued": 0, "running": 0, "remaining": 0}
    status = await harness.service.batch_status(date(2026, 11, 20))
    assert (status["status"], status["runs"], status["journalposts"], status["journalposts_not_yet_listed"]) == (
        "done", 1, 2, 0)


async def test_batch_range_is_bounded_and_one_runs_at_a_time(make_db_app) -> None:  # type: ignore[no-untyped-def]
    harness = await make_db_app(FakeJournal(), convert_on_event=False)
    convert = harness.headers("conversion.convert")
    for body in ({"from": "2026-11-20", "to": "2026-11-19"}, {"from": "2026-01-01", "to": "2026-03-01"}):
        refused = await harness.client.post("/internal/batches", json=body, headers=convert)
        assert refused.status_code == 422, refused.text
    first = await harness.client.post("/internal/batches", json={"from": "2026-11-01", "to": "2026-11-03"},
                                      headers=convert)
    assert first.status_code == 202 and len(first.json()["started"]) == 3
    second = await harness.client.post("/internal/batches", json={"from": "2026-11-04"}, headers=convert)
    assert second.status_code == 409, second.text
    await harness.service.wait_for_batches()
    for day in ("2026-11-01", "2026-11-02", "2026-11-03"):
        status = (await harness.client.get(f"/internal/batches/{day}",
                                           headers=harness.headers("conversion.report"))).json()
        assert status["status"] == "done" and status["documents"]["remaining"] == 0
    no_scope = await harness.client.post("/internal/batches", json={"from": "2026-11-04"},
                                         headers=harness.headers("conversion.report"))
    assert no_scope.status_code == 403
