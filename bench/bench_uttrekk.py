"""Arkivuttrekk: journalposts/s exported and validated, peak RSS of each process, and a bare lxml baseline.

Run: ``uv run python bench/bench_uttrekk.py [--journalposter N]`` (else
``ARKIV5_BENCH_UTTREKK_JOURNALPOSTER``, default 5,000). A journal on SQLite in a temporary
folder is seeded with journalposts in cases of ten, each with a party, a 1.4 kB PDF and a change; then `arkiv5-journal export` (which
validates what it wrote) and `arkiv5-journal validate-extraction` run as their own
processes, as an operator runs them, each one's peak RSS and CPU time (user + system) read
from the kernel (wait4): on a shared machine the CPU rate is the figure the neighbours do
not blur, the wall rate is what this run got.
The baseline, in the same run: lxml alone parsing arkivstruktur.xml streamed (iterparse,
clearing each registrering) and serialising it again (xmlfile) — the floor for a streamed
pass over the same bytes. Issue #19's target: 1,000,000 journalposts in < 15 min, peak RSS
< 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
from lxml import etree
from sqlalchemy import insert

from arkiv5_journal.app import create_app
from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID
from arkiv5_journal.models import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Journalpost,
    Korrespondansepart,
    Saksmappe,
)
from arkiv5_journal.settings import JournalSettings
from arkiv5_kit.reference import reference_dir
from arkiv5_kit.testing import TestTokenIssuer

YEAR = 2025
PER_CASE = 10
CHUNK = 1000
UNIT = UUID("00000000-0000-4000-8000-000000000001")
DOCUMENT = b"%PDF-1.7\n" + b"Vedtak\n" * 200 + b"%%EOF\n"
NS = "{http://www.arkivverket.no/standarder/noark5/arkivstruktur}"


async def _one(data: bytes) -> Any:
    yield data


async def seed(var_dir: Path, count: int) -> str:
    """Seed `count` journalposts; the database URL."""
    settings = JournalSettings(var_dir=var_dir, environment="test", uttrekk_runner=False,
                               blob_sweep_interval_hours=0)
    app = create_app(settings)
    issuer = TestTokenIssuer()
    app.state.token_verifier = issuer.verifier("journal")
    runtime = app.state.runtime
    await runtime.start()
    try:
        headers = issuer.headers(sub="bench", audience="journal", scopes=["journal.read", "journal.write"],
                                 roles=["fagsystem"], lifetime_s=300)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            made = await client.post("/saksmapper", json={"tittel": "Oppstart", "administrativEnhet": str(UNIT)},
                                     headers=headers)
            assert made.status_code == 201, made.text  # the arkiv and its arkivdel exist from here
        blob = await app.state.blob_store.put_stream(_one(DOCUMENT), max_bytes=10**6)
        who = {"opprettet_av": "migrering"}
        rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in (Saksmappe, Journalpost, Korrespondansepart,
                                                                 Dokumentbeskrivelse, Dokumentobjekt, Endringslogg)}
        saksmappe = uuid4()
        for n in range(count):
            day = datetime(YEAR, 1 + n % 12, 1 + n % 28, 12, tzinfo=UTC)
            if n % PER_CASE == 0:
                saksmappe, number = uuid4(), n // PER_CASE + 1
                rows[Saksmappe].append({
                    "system_id": saksmappe, "arkivdel_id": DEFAULT_ARKIVDEL_ID, "mappe_id": f"{YEAR}/{number}",
                    "saksaar": YEAR, "sakssekvensnummer": number, "saksdato": date(YEAR, 1, 2),
                    "tittel": f"Sak {number}", "offentlig_tittel": f"Sak {number}", "administrativ_enhet_id": UNIT,
                    "saksstatus": "A", "avsluttet_dato": date(YEAR, 12, 30), "avsluttet_av": "arkivar",
                    "skjerming_metadata": [], "siste_journalpostnummer": PER_CASE, "opprettet_dato": day, **who})
            jp, beskrivelse = uuid4(), uuid4()
            rows[Journalpost].append({
                "system_id": jp, "saksmappe_id": saksmappe, "journalaar": YEAR, "journalsekvensnummer": n + 1,
                "journalpostnummer": n % PER_CASE + 1, "journalposttype": "I", "journalstatus": "A",
                "journaldato": day.date(), "tittel": f"Søknad {n}", "offentlig_tittel": f"Søknad {n}",
                "administrativ_enhet_id": UNIT, "skjerming_metadata": [], "opprettet_dato": day, **who})
            rows[Korrespondansepart].append({
                "system_id": uuid4(), "journalpost_id": jp, "korrespondanseparttype": "EA",
                "korrespondansepart_navn": f"Avsender {n}", "postadresse": []})
            rows[Dokumentbeskrivelse].append({
                "system_id": beskrivelse, "journalpost_id": jp, "dokumentnummer": 1, "dokumenttype": "B",
                "dokumentstatus": "F", "tittel": f"Søknad {n}", "tilknyttet_registrering_som": "H",
                "tilknyttet_dato": date(YEAR, 1, 2), "tilknyttet_av": "migrering", "opprettet_dato": day, **who})
            rows[Dokumentobjekt].append({
                "system_id": uuid4(), "dokumentbeskrivelse_id": beskrivelse, "versjonsnummer": 1,
                "variantformat": "A", "format": "application/pdf", "sjekksum": blob.sha256,
                "sjekksum_algoritme": "SHA-256", "filstoerrelse": blob.size, "filnavn": "soknad.pdf",
                "opprettet_dato": day, **who})
            rows[Endringslogg].append({
                "id": uuid4(), "referanse_arkivenhet": jp, "arkivenhet_type": "journalpost",
                "referanse_metadata": "journalstatus", "endret_dato": day, "endret_av": "migrering",
                "tidligere_verdi": "J", "ny_verdi": "A"})
        for model, values in rows.items():
            for start in range(0, len(values), CHUNK):
                async with runtime.database.unit_of_work() as session:
                    await session.execute(insert(model.__table__), values[start:start + CHUNK])  # type: ignore[attr-defined]
    finally:
        await runtime.stop()
    return settings.resolved_database_url()


def command(*args: str, env: dict[str, str]) -> tuple[int, float, int, float]:
    """`arkiv5-journal …` as its own process: exit code, seconds, its peak RSS (kB), its CPU seconds."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "arkiv5_journal", *args], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    return (os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss,
            usage.ru_utime + usage.ru_stime)


def lxml_baseline(source: Path, target: Path) -> float:
    """CPU seconds for lxml alone to parse arkivstruktur.xml streamed and write every registrering out again."""
    started = time.process_time()
    with etree.xmlfile(str(target), encoding="utf-8") as xf, xf.element("arkivstruktur"):
        for _, element in etree.iterparse(str(source), events=("end",), tag=NS + "registrering",
                                          resolve_entities=False, no_network=True):
            xf.write(element)
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    return time.process_time() - started


def main() -> int:
    arguments = argparse.ArgumentParser(description="arkivuttrekk export and validation on a seeded SQLite journal")
    arguments.add_argument("--journalposter", type=int,
                           default=int(os.environ.get("ARKIV5_BENCH_UTTREKK_JOURNALPOSTER", "5000")),
                           help="journalposts to seed (default: ARKIV5_BENCH_UTTREKK_JOURNALPOSTER, else 5,000)")
    count = arguments.parse_args().journalposter
    with tempfile.TemporaryDirectory(prefix="bench-uttrekk-") as folder:
        work = Path(folder)
        started = time.perf_counter()
        database_url = asyncio.run(seed(work, count))
        seeded = time.perf_counter() - started
        env = {**os.environ, "JOURNAL_DATABASE_URL": database_url, "JOURNAL_ENVIRONMENT": "test",
               "JOURNAL_VAR_DIR": str(work), "ARKIV5_REFERENCE_DIR": str(reference_dir())}
        out = work / "uttrekk"
        code, exported, export_rss, export_cpu = command("export", "--arkivdel", str(DEFAULT_ARKIVDEL_ID), "--from",
                                             f"{YEAR}-01-01", "--to", f"{YEAR}-12-31", "--out", str(out), env=env)
        if code != 0:
            print(f"export failed with exit code {code}")
            return 1
        code, validated, validate_rss, validate_cpu = command("validate-extraction", str(out), env=env)
        if code != 0:
            print(f"validation failed with exit code {code}")
            return 1
        baseline = lxml_baseline(out / "arkivstruktur.xml", work / "baseline.xml")
        size = (out / "arkivstruktur.xml").stat().st_size
    load = os.getloadavg()[0]
    print("| benchmark | journalposts/s (wall) | seconds | CPU s | journalposts per CPU s | peak RSS | target |")
    print("|---|---|---|---|---|---|---|")
    print(f"| export (and its validation), own process, SQLite | {count / exported:,.0f} | {exported:.1f} | "
          f"{export_cpu:.1f} | {count / export_cpu:,.0f} | {export_rss / 1024:.0f} MB | "
          "1,000,000 in < 15 min (≥ 1,111/s), < 300 MB |")
    print(f"| validate-extraction, own process | {count / validated:,.0f} | {validated:.1f} | {validate_cpu:.1f} | "
          f"{count / validate_cpu:,.0f} | {validate_rss / 1024:.0f} MB | < 300 MB |")
    print(f"| baseline: lxml iterparse + xmlfile of arkivstruktur.xml ({size / 1e6:.1f} MB), in this process | — | — "
          f"| {baseline:.2f} | {count / baseline:,.0f} | — | — |")
    print(f"({count:,} journalposts seeded in {seeded:.0f} s; this process's peak RSS "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; load average {load:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
