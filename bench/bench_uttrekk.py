"""Arkivuttrekk: journalposts/s exported and validated, peak RSS of each process, and a bare lxml baseline.

Run: ``uv run python bench/bench_uttrekk.py [--journalposter N] [--postgres]`` (else
``ARKIV5_BENCH_UTTREKK_JOURNALPOSTER``, default 5,000). A journal on SQLite in a temporary
folder (or, with ``--postgres``, in a new database on ``ARKIV5_BENCH_POSTGRES_URL``, dropped
afterwards) is seeded with journalposts in cases of ten, each with a party, a 1.4 kB PDF and a
change; then `arkiv5-journal export` (which validates what it wrote) and `arkiv5-journal
validate-extraction` run as their own processes, as an operator runs them.

Each process's peak RSS and CPU time (user + system) are read from the kernel (wait4). The
seeding runs in a process of its own and this process imports neither the journal nor the
database layer: a child's peak RSS counts the pages of the process that started it (the
kernel carries the parent's high-water mark through fork and exec), so only a small parent
gives the export's and the validator's own figure; the parent's peak at the start of the
commands is printed beside it. The export command logs how long writing and validating took
each; both are shown. On a shared machine the CPU rate is the figure the neighbours do not
blur, the wall rate is what this run got.

The baseline, in the same run: lxml alone parsing arkivstruktur.xml streamed (iterparse,
clearing each registrering) and serialising it again (xmlfile) — the floor for a streamed
pass over the same bytes. Issue #19's target: 1,000,000 journalposts in < 15 min, peak RSS
< 300 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

YEAR = 2025
PER_CASE = 10
CHUNK = 1000
SEED_SLICE = 20_000
"""Journalposts whose rows are built in memory at a time while seeding (a million would not fit)."""
UNIT = uuid.UUID("00000000-0000-4000-8000-000000000001")
DOCUMENT = b"%PDF-1.7\n" + b"Vedtak\n" * 200 + b"%%EOF\n"
NS = "{http://www.arkivverket.no/standarder/noark5/arkivstruktur}"


async def _one(data: bytes) -> Any:
    yield data


async def seed(var_dir: Path, count: int, database_url: str | None) -> dict[str, str]:
    """Seed `count` journalposts (run in its own process: `--seed`); the database URL and the arkivdel."""
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
    from arkiv5_kit.testing import TestTokenIssuer

    settings = JournalSettings(var_dir=var_dir, environment="test", uttrekk_runner=False,
                               blob_sweep_interval_hours=0, database_url=database_url)
    app = create_app(settings)
    issuer = TestTokenIssuer()
    app.state.token_verifier = issuer.verifier("journal")
    runtime = app.state.runtime
    await runtime.start()
    try:
        import httpx

        headers = issuer.headers(sub="bench", audience="journal", scopes=["journal.read", "journal.write"],
                                 roles=["fagsystem"], lifetime_s=300)
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
            made = await client.post("/saksmapper", json={"tittel": "Oppstart", "administrativEnhet": str(UNIT)},
                                     headers=headers)
            assert made.status_code == 201, made.text  # the arkiv and its arkivdel exist from here
        blob = await app.state.blob_store.put_stream(_one(DOCUMENT), max_bytes=10**6)
        who = {"opprettet_av": "migrering"}
        models = (Saksmappe, Journalpost, Korrespondansepart, Dokumentbeskrivelse, Dokumentobjekt, Endringslogg)
        saksmappe = uuid.uuid4()
        for first in range(0, count, SEED_SLICE):
            rows: dict[Any, list[dict[str, Any]]] = {m: [] for m in models}
            for n in range(first, min(count, first + SEED_SLICE)):
                day = datetime(YEAR, 1 + n % 12, 1 + n % 28, 12, tzinfo=UTC)
                if n % PER_CASE == 0:
                    saksmappe, number = uuid.uuid4(), n // PER_CASE + 1
                    rows[Saksmappe].append({
                        "system_id": saksmappe, "arkivdel_id": DEFAULT_ARKIVDEL_ID, "mappe_id": f"{YEAR}/{number}",
                        "saksaar": YEAR, "sakssekvensnummer": number, "saksdato": date(YEAR, 1, 2),
                        "tittel": f"Sak {number}", "offentlig_tittel": f"Sak {number}",
                        "administrativ_enhet_id": UNIT, "saksstatus": "A", "avsluttet_dato": date(YEAR, 12, 30),
                        "avsluttet_av": "arkivar", "skjerming_metadata": [], "siste_journalpostnummer": PER_CASE,
                        "opprettet_dato": day, **who})
                jp, beskrivelse = uuid.uuid4(), uuid.uuid4()
                rows[Journalpost].append({
                    "system_id": jp, "saksmappe_id": saksmappe, "journalaar": YEAR, "journalsekvensnummer": n + 1,
                    "journalpostnummer": n % PER_CASE + 1, "journalposttype": "I", "journalstatus": "A",
                    "journaldato": day.date(), "tittel": f"Søknad {n}", "offentlig_tittel": f"Søknad {n}",
                    "administrativ_enhet_id": UNIT, "skjerming_metadata": [], "opprettet_dato": day, **who})
                rows[Korrespondansepart].append({
                    "system_id": uuid.uuid4(), "journalpost_id": jp, "korrespondanseparttype": "EA",
                    "korrespondansepart_navn": f"Avsender {n}", "postadresse": []})
                rows[Dokumentbeskrivelse].append({
                    "system_id": beskrivelse, "journalpost_id": jp, "dokumentnummer": 1, "dokumenttype": "B",
                    "dokumentstatus": "F", "tittel": f"Søknad {n}", "tilknyttet_registrering_som": "H",
                    "tilknyttet_dato": date(YEAR, 1, 2), "tilknyttet_av": "migrering", "opprettet_dato": day, **who})
                rows[Dokumentobjekt].append({
                    "system_id": uuid.uuid4(), "dokumentbeskrivelse_id": beskrivelse, "versjonsnummer": 1,
                    "variantformat": "A", "format": "application/pdf", "sjekksum": blob.sha256,
                    "sjekksum_algoritme": "SHA-256", "filstoerrelse": blob.size, "filnavn": "soknad.pdf",
                    "opprettet_dato": day, **who})
                rows[Endringslogg].append({
                    "id": uuid.uuid4(), "referanse_arkivenhet": jp, "arkivenhet_type": "journalpost",
                    "referanse_metadata": "journalstatus", "endret_dato": day, "endret_av": "migrering",
                    "tidligere_verdi": "J", "ny_verdi": "A"})
            for model, values in rows.items():
                for start in range(0, len(values), CHUNK):
                    async with runtime.database.unit_of_work() as session:
                        await session.execute(insert(model.__table__), values[start:start + CHUNK])
    finally:
        await runtime.stop()
    return {"database_url": settings.resolved_database_url(), "arkivdel": str(DEFAULT_ARKIVDEL_ID)}


def _dsn(url: str) -> str:
    """An SQLAlchemy asyncpg URL as a libpq one (asyncpg's own connect takes that)."""
    return re.sub(r"^postgresql\+asyncpg://", "postgresql://", url)


async def _create_database(base_url: str, name: str) -> str:
    import asyncpg

    admin = await asyncpg.connect(_dsn(base_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return base_url.rsplit("/", 1)[0] + f"/{name}"  # the same server and credentials, the new database


async def _drop_database(base_url: str, name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(_dsn(base_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Ran:
    """One command's figures: exit code, wall seconds, peak RSS (kB), CPU seconds, and the phases it logged."""

    code: int
    seconds: float
    rss_kb: int
    cpu: float
    written: float | None
    validated: float | None


def command(*args: str, env: dict[str, str], log: Path) -> Ran:
    """`arkiv5-journal …` as its own process, its log (stderr) kept to read how long each phase took."""
    started = time.perf_counter()
    with log.open("w") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "arkiv5_journal", *args], env=env,
                                   stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    text = log.read_text(errors="replace")
    written = re.search(r"arkivuttrekk written in ([0-9.]+) s", text)
    validated = re.search(r"arkivuttrekk validated in ([0-9.]+) s", text)
    return Ran(os.waitstatus_to_exitcode(status), time.perf_counter() - started, usage.ru_maxrss,
               usage.ru_utime + usage.ru_stime, float(written[1]) if written else None,
               float(validated[1]) if validated else None)


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


def _seed_process(work: Path, count: int, database_url: str | None) -> dict[str, str]:
    """Seed in a process of its own, so its memory is not counted into the commands' peak RSS."""
    env = {**os.environ, "ARKIV5_BENCH_SEED_DATABASE_URL": database_url or ""}
    done = subprocess.run([sys.executable, __file__, "--seed", str(work), "--journalposter", str(count)],
                          env=env, check=True, stdout=subprocess.PIPE, text=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def _rate(count: int, seconds: float | None) -> str:
    return f"{count / seconds:,.0f}" if seconds else "—"


def measure(work: Path, count: int, database_url: str | None, label: str) -> int:
    started = time.perf_counter()
    seeded = _seed_process(work, count, database_url)
    seeding = time.perf_counter() - started
    env = {**os.environ, "JOURNAL_DATABASE_URL": seeded["database_url"], "JOURNAL_ENVIRONMENT": "test",
           "JOURNAL_VAR_DIR": str(work)}
    parent_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out = work / "uttrekk"
    export = command("export", "--arkivdel", seeded["arkivdel"], "--from", f"{YEAR}-01-01", "--to",
                     f"{YEAR}-12-31", "--out", str(out), env=env, log=work / "export.log")
    if export.code != 0:
        print(f"export failed with exit code {export.code}:\n{(work / 'export.log').read_text()[-2000:]}")
        return 1
    validate = command("validate-extraction", str(out), env=env, log=work / "validate.log")
    if validate.code != 0:
        print(f"validation failed with exit code {validate.code}")
        return 1
    baseline = lxml_baseline(out / "arkivstruktur.xml", work / "baseline.xml")
    size = (out / "arkivstruktur.xml").stat().st_size
    load = os.getloadavg()[0]
    print("| benchmark | journalposts/s (wall) | seconds | CPU s | journalposts per CPU s | peak RSS | target |")
    print("|---|---|---|---|---|---|---|")
    print(f"| export (and its validation), own process, {label} | {_rate(count, export.seconds)} | "
          f"{export.seconds:.1f} | {export.cpu:.1f} | {count / export.cpu:,.0f} | {export.rss_kb / 1024:.0f} MB | "
          "1,000,000 in < 15 min (≥ 1,111/s), < 300 MB |")
    print(f"| … of which writing the extraction (its log) | {_rate(count, export.written)} | "
          f"{export.written or 0:.1f} | — | — | — | ≥ 1,111/s |")
    print(f"| … of which its validation (its log) | {_rate(count, export.validated)} | "
          f"{export.validated or 0:.1f} | — | — | — | — |")
    print(f"| validate-extraction, own process | {_rate(count, validate.seconds)} | {validate.seconds:.1f} | "
          f"{validate.cpu:.1f} | {count / validate.cpu:,.0f} | {validate.rss_kb / 1024:.0f} MB | < 300 MB |")
    print(f"| baseline: lxml iterparse + xmlfile of arkivstruktur.xml ({size / 1e6:.1f} MB), in this process | — | — "
          f"| {baseline:.2f} | {count / baseline:,.0f} | — | — |")
    print(f"({count:,} journalposts seeded in {seeding:.0f} s by a process of its own; this process's peak RSS "
          f"when the commands started {parent_rss / 1024:.0f} MB; load average {load:.2f})")
    return 0


def main() -> int:
    arguments = argparse.ArgumentParser(description="arkivuttrekk export and validation on a seeded journal")
    arguments.add_argument("--journalposter", type=int,
                           default=int(os.environ.get("ARKIV5_BENCH_UTTREKK_JOURNALPOSTER", "5000")),
                           help="journalposts to seed (default: ARKIV5_BENCH_UTTREKK_JOURNALPOSTER, else 5,000)")
    arguments.add_argument("--postgres", action="store_true",
                           help="seed a new database on ARKIV5_BENCH_POSTGRES_URL (dropped afterwards), not SQLite")
    arguments.add_argument("--seed", type=Path, help=argparse.SUPPRESS)  # the seeding process's own entry
    args = arguments.parse_args()
    count = args.journalposter
    if args.seed is not None:
        url = os.environ.get("ARKIV5_BENCH_SEED_DATABASE_URL") or None
        print(json.dumps(asyncio.run(seed(args.seed, count, url))))
        return 0
    base_url = os.environ.get("ARKIV5_BENCH_POSTGRES_URL", "")
    if args.postgres and not base_url:
        print("--postgres needs ARKIV5_BENCH_POSTGRES_URL (postgresql+asyncpg://…); nothing measured")
        return 1
    with tempfile.TemporaryDirectory(prefix="bench-uttrekk-") as folder:
        if not args.postgres:
            return measure(Path(folder), count, None, "SQLite")
        name = f"bench_uttrekk_{uuid.uuid4().hex[:8]}"
        url = asyncio.run(_create_database(base_url, name))
        try:
            return measure(Path(folder), count, url, "PostgreSQL")
        finally:
            asyncio.run(_drop_database(base_url, name))


if __name__ == "__main__":
    sys.exit(main())
