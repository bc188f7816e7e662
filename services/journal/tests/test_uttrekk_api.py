"""Arkivuttrekk through the API, as the arkivleder asks for it: a job with progress, its tar and its report."""

from __future__ import annotations

import asyncio
import io
import tarfile
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlmodel import col

from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID
from arkiv5_journal.context import now_utc
from arkiv5_journal.domain.numbering import today_in_oslo
from arkiv5_journal.models import UttrekkJobb
from arkiv5_journal.uttrekk import jobs

from .conftest import Journal, case
from .test_uttrekk import _archive, _schemas_or_skip

PROBLEM = "application/problem+json"


def _period() -> dict[str, str]:
    year = today_in_oslo().year
    return {"arkivdel": str(DEFAULT_ARKIVDEL_ID), "fra": f"{year}-01-01", "til": f"{year}-12-31"}


async def _until_finished(journal: Journal, location: str) -> dict[str, Any]:
    for _ in range(600):
        answer = await journal.client.get(location, headers=journal.fagsystem())
        assert answer.status_code == 200, answer.text
        if answer.json()["status"] in (jobs.DONE, jobs.FAILED):
            return dict(answer.json())
        await asyncio.sleep(0.1)
    raise AssertionError("the arkivuttrekk job did not finish in a minute")


async def test_the_arkivleder_orders_follows_and_downloads_an_arkivuttrekk(journal: Journal) -> None:
    _schemas_or_skip()
    await _archive(journal)
    ordered = await journal.client.post("/uttrekk", json={**_period(), "arkivskaperNavn": "Lindesnes kommune"},
                                        headers=journal.fagsystem())
    assert ordered.status_code == 202, ordered.text
    location = ordered.headers["Location"]
    assert location == f"/uttrekk/{ordered.json()['id']}" and ordered.json()["status"] == jobs.QUEUED

    job = await _until_finished(journal, location)
    assert job["status"] == jobs.DONE, job
    assert job["fremdrift"] == {"skrevet": 2, "journalposter": 2} and job["feil"] == 0 and job["advarsler"] == 3
    assert job["fil"] == f"{location}/fil" and job["rapport"] == f"{location}/rapport"

    year = today_in_oslo().year
    download = await journal.client.get(job["fil"], headers=journal.fagsystem())
    assert download.status_code == 200 and download.headers["content-type"] == "application/x-tar"
    top = f"arkivuttrekk-{year}-01-01-{year}-12-31"
    assert f'filename="{top}.tar"' in download.headers["content-disposition"]
    with tarfile.open(fileobj=io.BytesIO(download.content)) as tar:
        names = tar.getnames()
    assert f"{top}/arkivuttrekk.xml" in names and f"{top}/arkivstruktur.xml" in names

    as_json = await journal.client.get(job["rapport"], headers=journal.fagsystem())
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json()["valid"] is True and as_json.json()["extraction"] == top
    as_html = await journal.client.get(job["rapport"], headers={**journal.fagsystem(),
                                                                "Accept": "text/html,application/json;q=0.9"})
    assert as_html.headers["content-type"].startswith("text/html") and as_html.text.startswith("<!DOCTYPE html>")
    # No working folder is left behind: the tar and its two reports.
    settings = journal.app.state.journal_context.settings
    assert sorted(p.name for p in jobs.folder_of(settings).iterdir()) == sorted(
        [f"{job['id']}.tar", f"{job['id']}-valideringsrapport.json", f"{job['id']}-valideringsrapport.html"])


async def test_only_the_arkivleder_orders_and_bad_orders_are_refused_without_a_job(journal: Journal) -> None:
    reader = journal.fagsystem(["journal.read", "journal.write"])
    refused = await journal.client.post("/uttrekk", json=_period(), headers=reader)
    assert refused.status_code == 403 and refused.headers["content-type"] == PROBLEM
    assert (await journal.client.get(f"/uttrekk/{DEFAULT_ARKIVDEL_ID}", headers=reader)).status_code == 403

    admin = journal.fagsystem()
    backwards = await journal.client.post("/uttrekk", json={**_period(), "fra": "2026-12-31", "til": "2026-01-01"},
                                          headers=admin)
    assert backwards.status_code == 422 and backwards.json()["detail"] == "til is before fra."
    unknown = await journal.client.post("/uttrekk", json={**_period(), "arkivdel": str(jobs.UUID(int=7))},
                                        headers=admin)
    assert unknown.status_code == 422 and unknown.json()["detail"] == "No arkivdel with this systemID."
    malformed = await journal.client.post("/uttrekk", json={**_period(), "fra": "i fjor"}, headers=admin)
    assert malformed.status_code == 422 and malformed.headers["content-type"] == PROBLEM
    assert "i fjor" not in malformed.text
    async with journal.runtime.database.unit_of_work() as session:
        assert (await session.execute(select(func.count()).select_from(UttrekkJobb))).scalar_one() == 0
    missing = await journal.client.get(f"/uttrekk/{jobs.UUID(int=7)}", headers=admin)
    assert missing.status_code == 404 and missing.headers["content-type"] == PROBLEM


async def test_a_running_job_without_a_sign_of_life_is_marked_failed(journal: Journal) -> None:
    """A job whose runner stopped giving signs of life was interrupted; one another replica runs is left alone."""
    await asyncio.wait_for(journal.app.state.uttrekk_runner.started.wait(), 30)  # its own start is behind it
    long_ago = now_utc() - timedelta(seconds=jobs.STALE_S + 60)
    interrupted = UttrekkJobb(arkivdel_id=DEFAULT_ARKIVDEL_ID, fra=date(2025, 1, 1), til=date(2025, 12, 31),
                              status=jobs.RUNNING, skrevet=500, journalposter=1000, bestilt_av="arkivleder",
                              bestilt=long_ago, startet=long_ago, livstegn=now_utc())
    elsewhere = UttrekkJobb(arkivdel_id=DEFAULT_ARKIVDEL_ID, fra=date(2024, 1, 1), til=date(2024, 12, 31),
                            status=jobs.RUNNING, skrevet=10, journalposter=1000, bestilt_av="arkivleder",
                            bestilt=long_ago, startet=long_ago, livstegn=now_utc())
    async with journal.runtime.database.unit_of_work() as session:
        session.add(interrupted)
        session.add(elsewhere)
    location = f"/uttrekk/{interrupted.id}"
    early = await journal.client.get(f"{location}/fil", headers=journal.fagsystem())
    assert early.status_code == 409 and early.headers["content-type"] == PROBLEM
    assert (await journal.client.get(f"{location}/rapport", headers=journal.fagsystem())).status_code == 409

    async with journal.runtime.database.unit_of_work() as session:  # its replica stops renewing the sign of life
        await session.execute(update(UttrekkJobb).where(col(UttrekkJobb.id) == interrupted.id)
                              .values(livstegn=long_ago))
    await journal.app.state.uttrekk_runner.mark_interrupted()  # (or the runner's own poll got there first)
    job = (await journal.client.get(location, headers=journal.fagsystem())).json()
    assert job["status"] == jobs.FAILED and job["melding"] == jobs.INTERRUPTED and job["ferdig"] is not None
    assert job["fremdrift"] == {"skrevet": 500, "journalposter": 1000} and job["fil"] is None
    assert (await journal.client.get(f"/uttrekk/{elsewhere.id}", headers=journal.fagsystem())).json()["status"] == \
        jobs.RUNNING


async def test_a_period_with_nothing_to_export_fails_with_the_reason(journal: Journal) -> None:
    # The arkivdel exists once the first case is made; nothing of 1990 is in it.
    assert (await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())).status_code == 201
    ordered = await journal.client.post("/uttrekk", json={**_period(), "fra": "1990-01-01", "til": "1990-12-31"},
                                        headers=journal.fagsystem())
    assert ordered.status_code == 202, ordered.text
    job = await _until_finished(journal, ordered.headers["Location"])
    assert job["status"] == jobs.FAILED and job["melding"] == "the arkivdel has no journalpost in the period"


async def test_a_finished_job_expires_and_its_tar_and_reports_are_removed(journal: Journal) -> None:
    """A tar holds screened content: it is kept `uttrekk_keep_days`, then removed; the job's row stays."""
    await asyncio.wait_for(journal.app.state.uttrekk_runner.started.wait(), 30)
    settings = journal.app.state.journal_context.settings
    days = settings.uttrekk_keep_days
    finished = {"old": now_utc() - timedelta(days=days, hours=1), "recent": now_utc() - timedelta(days=days - 1)}
    made: dict[str, UttrekkJobb] = {}
    async with journal.runtime.database.unit_of_work() as session:
        for name, when in finished.items():
            made[name] = UttrekkJobb(arkivdel_id=DEFAULT_ARKIVDEL_ID, fra=date(2024, 1, 1), til=date(2024, 12, 31),
                                     status=jobs.DONE, skrevet=1, journalposter=1, feil=0, advarsler=0,
                                     bestilt_av="arkivleder", bestilt=when, startet=when, ferdig=when)
            session.add(made[name])
    jobs.folder_of(settings).mkdir(parents=True, exist_ok=True)
    for job in made.values():
        jobs.tar_of(settings, job.id).write_bytes(b"tar")
        for kind in ("json", "html"):
            jobs.report_of(settings, job.id, kind).write_text("{}", encoding="utf-8")

    assert await journal.app.state.uttrekk_runner.remove_expired() in (0, 1)  # (or the runner's own poll got there first)
    old = (await journal.client.get(f"/uttrekk/{made['old'].id}", headers=journal.fagsystem())).json()
    assert old["status"] == jobs.EXPIRED and old["fil"] is None and old["rapport"] is None
    assert old["melding"] == jobs.REMOVED.format(days=days) and old["ferdig"] is not None
    gone = await journal.client.get(f"/uttrekk/{made['old'].id}/fil", headers=journal.fagsystem())
    assert gone.status_code == 409 and gone.headers["content-type"] == PROBLEM and "expired" in gone.json()["detail"]
    assert not jobs.tar_of(settings, made["old"].id).exists()
    assert not jobs.report_of(settings, made["old"].id, "json").exists()
    assert not jobs.report_of(settings, made["old"].id, "html").exists()

    recent = made["recent"]
    assert (await journal.client.get(f"/uttrekk/{recent.id}", headers=journal.fagsystem())).json()["status"] == \
        jobs.DONE
    kept = await journal.client.get(f"/uttrekk/{recent.id}/fil", headers=journal.fagsystem())
    assert kept.status_code == 200 and kept.content == b"tar"
    assert await journal.app.state.uttrekk_runner.remove_expired() == 0  # nothing more to expire
