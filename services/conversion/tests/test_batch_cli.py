"""The nightly batch by command line (`arkiv5-conversion batch run|status`), its progress in the log,
and the latest batches over the API."""

from __future__ import annotations

import argparse
import io
import json
import logging
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes import FakeJournal
from test_jobs import _journalfoer, latin1_text

from arkiv5_conversion.cli import batch_parser, main, run_command

J_DATE = "2026-11-20"
J_AT = datetime(2026, 11, 20, 15, tzinfo=UTC)


def _args(*argv: str) -> argparse.Namespace:
    return batch_parser().parse_args(list(argv))


async def test_batch_run_by_command_line_logs_its_progress_and_prints_where_it_ended(
    make_app, caplog: pytest.LogCaptureFixture,  # type: ignore[no-untyped-def]
) -> None:
    journal = FakeJournal()
    harness = await make_app(journal, convert_on_event=False, batch_progress_every=2)
    jp = uuid.uuid4()
    docs = [journal.add(jp, latin1_text(n)) for n in range(5)]
    await _journalfoer(harness, jp, J_AT)
    caplog.set_level(logging.INFO, logger="arkiv5_conversion.batches")

    out = io.StringIO()
    assert await run_command(_args("run", "--date", J_DATE), harness.app, out) == 0
    [status] = json.loads(out.getvalue())["items"]
    assert (status["j_date"], status["status"], status["runs"]) == (J_DATE, "done", 1)
    assert status["documents"] == {"done": 5, "failed": 0, "queued": 0, "running": 0, "remaining": 0}
    assert sorted(journal.puts) == sorted(docs)

    lines = [(r.getMessage(), r.__dict__) for r in caplog.records if r.getMessage().startswith("conversion batch")]
    assert [" ".join(message.split()[:3]) for message, _ in lines] == [
        "conversion batch started", "conversion batch progress", "conversion batch progress",
        "conversion batch ended"]
    assert lines[-1][0] == f"conversion batch ended j_date={J_DATE} done=5 failed=0 remaining=0"
    progress = [(f["documents_done"], f["documents_failed"], f["documents_remaining"]) for _, f in lines[1:3]]
    # After every 2nd document (two workers: the count may already hold the other's next one).
    assert [done >= 2 * n and done + failed + remaining == 5 for n, (done, failed, remaining)
            in enumerate(progress, start=1)] == [True, True]
    ended = lines[3][1]
    assert (ended["j_date"], ended["documents_done"], ended["documents_failed"], ended["documents_remaining"]) == (
        J_DATE, 5, 0, 0)


async def test_batch_run_twice_converts_nothing_again_and_a_failure_is_not_a_clean_exit(make_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_app(journal, convert_on_event=False)
    jp = uuid.uuid4()
    journal.add(jp, latin1_text(1))
    journal.add(jp, b"\x00\x01\x02 not a document format anyone keeps")
    await _journalfoer(harness, jp, J_AT)

    for run in (1, 2):
        out = io.StringIO()
        assert await run_command(_args("run", "--from", J_DATE, "--to", J_DATE), harness.app, out) == 1
        [status] = json.loads(out.getvalue())["items"]
        assert (status["status"], status["runs"]) == ("done", run)
        assert status["documents"] == {"done": 1, "failed": 1, "queued": 0, "running": 0, "remaining": 0}
    assert len(journal.puts) == 1  # the second run converted nothing again

    out = io.StringIO()
    assert await run_command(_args("status", J_DATE), harness.app, out) == 0
    assert json.loads(out.getvalue())["runs"] == 2
    out = io.StringIO()
    assert await run_command(_args("status"), harness.app, out) == 0
    assert [b["j_date"] for b in json.loads(out.getvalue())["items"]] == [J_DATE]


async def test_a_range_the_api_refuses_is_refused_by_the_command_line(make_app) -> None:  # type: ignore[no-untyped-def]
    harness = await make_app(FakeJournal(), convert_on_event=False)
    out = io.StringIO()
    assert await run_command(_args("run", "--from", "2026-11-20", "--to", "2026-11-19"), harness.app, out) == 2
    assert await run_command(_args("run", "--from", "2026-01-01", "--to", "2026-03-01"), harness.app, out) == 2
    assert out.getvalue() == ""


async def test_the_latest_batches_over_the_api_and_the_morning_report_names_its_batch(make_app) -> None:  # type: ignore[no-untyped-def]
    journal = FakeJournal()
    harness = await make_app(journal, convert_on_event=False)
    convert, report = harness.headers("conversion.convert"), harness.headers("conversion.report")
    started = await harness.client.post("/internal/batches", json={"from": "2026-11-19", "to": J_DATE},
                                        headers=convert)
    assert started.status_code == 202, started.text
    await harness.service.wait_for_batches()
    latest = await harness.client.get("/internal/batches?limit=1", headers=report)
    assert latest.status_code == 200, latest.text
    assert [(b["j_date"], b["status"]) for b in latest.json()["items"]] == [(J_DATE, "done")]
    both = (await harness.client.get("/internal/batches", headers=report)).json()["items"]
    assert [b["j_date"] for b in both] == [J_DATE, "2026-11-19"]
    morning = (await harness.client.get("/internal/reports/morning?date=2026-11-21", headers=report)).json()
    assert morning["batch"] == {"j_date": J_DATE, "href": f"/internal/batches/{J_DATE}", "status": "done"}
    assert (await harness.client.get("/internal/batches", headers=convert)).status_code == 403


def _cli(tmp_path: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CONVERSION_VAR_DIR": str(tmp_path), "CONVERSION_VALIDATOR": "basic",
           "CONVERSION_LOG_JSON": "true", "CONVERSION_ENVIRONMENT": "test"}
    return subprocess.run([sys.executable, "-m", "arkiv5_conversion", *argv], env=env, capture_output=True,
                          text=True, timeout=120)


async def test_the_installed_command_runs_and_tells_the_batch_on_the_services_database(
    make_app, tmp_path: Path,  # type: ignore[no-untyped-def]
) -> None:
    await make_app(FakeJournal(), convert_on_event=False)  # migrates the service's database in tmp_path

    ran = _cli(tmp_path, "batch", "run", "--date", "2026-11-01")
    assert ran.returncode == 0, ran.stderr
    [status] = json.loads(ran.stdout)["items"]
    assert (status["j_date"], status["status"], status["runs"], status["journalposts"]) == ("2026-11-01", "done", 1, 0)
    logged = [json.loads(line)["message"] for line in ran.stderr.splitlines() if line.startswith("{")]
    assert [m for m in logged if m.startswith("conversion batch")] == [
        "conversion batch started j_date=2026-11-01 journalposts=0",
        "conversion batch ended j_date=2026-11-01 done=0 failed=0 remaining=0"]

    told = _cli(tmp_path, "batch", "status")
    assert told.returncode == 0, told.stderr
    assert [(b["j_date"], b["status"]) for b in json.loads(told.stdout)["items"]] == [("2026-11-01", "done")]


@pytest.mark.parametrize(("argv", "said"), [
    (["batch", "run", "--to", "2026-11-02"], "--to needs --from"),
    (["batch", "run", "--date", "2026-11-01", "--from", "2026-11-01"], "not allowed with argument"),
    (["batch", "status", "2026-13-01"], "not a date"),
])
def test_wrong_arguments_are_refused_before_anything_runs(
    argv: list[str], said: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as refused:
        main(argv)
    assert refused.value.code == 2 and said in capsys.readouterr().err
