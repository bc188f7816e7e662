"""Migration import: journalposts per second imported from a Noark 5 extraction into an empty journal (PostgreSQL).

For each size in `MIGRERING_BENCH_JOURNALPOSTS` (comma separated, default 2000,20000): a
synthetic archive is generated into one database (bench/journal_archive.py, one case per ten
journalposts), exported as an extraction (the journal's own export), then imported into a
second, empty database with `import_extraction` (batches of 500). The baseline in the same run
is a bare lxml parse of the same arkivstruktur.xml (iterparse, each journalpost cleared as it
ends): the import cannot be faster than reading its input. The validator's time is shown
apart (the import runs it first). Target: 2,000 journalposts/s on 2 cores.

Wall time on a shared machine says as much about the neighbours as about the import, so the
CPU is shown beside it: this process's (parsing, building rows; time.process_time) and the
PostgreSQL backends' that served the import (their /proc CPU, read before the pool closes),
and the journalposts per second of both together — the rate two idle cores would reach if
neither waited for the other. Peak RSS is this process's (it holds the generator's and the
exporter's peaks too, so it is an upper bound for the import).

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/bench_migrering.py``;
``MIGRERING_BENCH_JOURNALPOSTS=100000`` for the issue's size (generation and export take most of
that run).
"""

from __future__ import annotations

import asyncio
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import asyncpg
from lxml import etree
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).parent))
from journal_archive import generate  # noqa: E402
from servercpu import cpu_seconds  # noqa: E402

from arkiv5_journal.app import MIGRATIONS_DIR  # noqa: E402
from arkiv5_journal.blobstore import FilesystemBlobStore  # noqa: E402
from arkiv5_journal.migrering.importer import import_extraction  # noqa: E402
from arkiv5_journal.migrering.parse import PARSER_OPTIONS  # noqa: E402
from arkiv5_journal.uttrekk.export import ExportRequest, export_extraction  # noqa: E402
from arkiv5_journal.uttrekk.validate import validate_extraction  # noqa: E402
from arkiv5_kit.db import Database, create_engine  # noqa: E402
from arkiv5_kit.migrations import upgrade  # noqa: E402

ARKIV = "6b1d0c52-0000-4000-8000-000000000001"
ARKIVDEL = "6b1d0c52-0000-4000-8000-000000000002"
RECORD = "{http://www.arkivverket.no/standarder/noark5/arkivstruktur}registrering"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def _database(base_url: str, name: str) -> str:
    admin = await asyncpg.connect(_dsn(base_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = make_url(base_url).set(database=name).render_as_string(hide_password=False)
    database = Database(url, pool_size=1)
    try:
        await upgrade(database, MIGRATIONS_DIR)
    finally:
        await database.dispose()
    return url


async def _drop(base_url: str, names: list[str]) -> None:
    admin = await asyncpg.connect(_dsn(base_url))
    try:
        for name in names:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _source(url: str, journalposts: int) -> None:
    connection = await asyncpg.connect(_dsn(url))
    try:
        await connection.execute(
            f"INSERT INTO arkiv (system_id, tittel, arkivstatus, opprettet_dato, opprettet_av) "
            f"VALUES ('{ARKIV}', 'Benkarkiv', 'O', now(), 'bench')")
        await connection.execute(
            f"INSERT INTO arkivdel (system_id, arkiv_id, tittel, arkivdelstatus, opprettet_dato, opprettet_av) "
            f"VALUES ('{ARKIVDEL}', '{ARKIV}', 'Saksarkiv', 'A', now(), 'bench')")
    finally:
        await connection.close()
    await generate(url, journalposts=journalposts, arkivdel_id=ARKIVDEL)


async def _backend_cpu(base_url: str, name: str) -> float:
    """CPU seconds of the PostgreSQL backends connected to database `name` (its pool's connections)."""
    admin = await asyncpg.connect(_dsn(base_url))
    try:
        pids = [row["pid"] for row in await admin.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()", name)]
    finally:
        await admin.close()
    total = 0.0
    for pid in pids:
        try:
            total += cpu_seconds(pid)
        except OSError:  # not this machine's process (a remote server): no figure
            return float("nan")
    return total


def _bare_parse(path: Path) -> int:
    count = 0
    for _, element in etree.iterparse(str(path), events=("end",), tag=RECORD, **PARSER_OPTIONS):
        count += 1
        element.clear(keep_tail=True)
    return count


async def measure(base_url: str, journalposts: int, work: Path) -> str:
    names = [f"bench_migrering_{uuid.uuid4().hex[:8]}", f"bench_migrering_{uuid.uuid4().hex[:8]}"]
    try:
        source_url = await _database(base_url, names[0])
        await _source(source_url, journalposts)
        source = create_engine(source_url, pool_size=2)
        folder = work / f"uttrekk-{journalposts}"
        started = time.perf_counter()
        try:
            await export_extraction(source, FilesystemBlobStore(work / "blobs-source"), ExportRequest(
                arkivdel_id=uuid.UUID(ARKIVDEL), fra=date(2016, 1, 1), til=date(2027, 12, 31), out=folder))
        finally:
            await source.dispose()
        exported = time.perf_counter() - started

        started = time.perf_counter()
        parsed = _bare_parse(folder / "arkivstruktur.xml")
        bare = time.perf_counter() - started

        started = time.perf_counter()
        report = validate_extraction(folder)
        validated = time.perf_counter() - started

        target_url = await _database(base_url, names[1])
        target = create_engine(target_url, pool_size=2)
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            result = await import_extraction(target, FilesystemBlobStore(work / "blobs-target"), folder,
                                             validate=False)
            imported, importer_cpu = time.perf_counter() - started, time.process_time() - cpu_started
            database_cpu = await _backend_cpu(base_url, names[1])
        finally:
            await target.dispose()
        count = result.imported["journalposter"]
        assert count == parsed == journalposts, (count, parsed, journalposts)
        load = os.getloadavg()[0]
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return (f"| {journalposts:,} | {count / imported:,.0f} | {imported:.1f} | {importer_cpu:.1f} | "
                f"{database_cpu:.1f} | {count / (importer_cpu + database_cpu):,.0f} | {rss:.0f} MB | "
                f"{parsed / bare:,.0f} | {validated:.1f} ({report.errors} errors) | {exported:.1f} | {load:.2f} |")
    finally:
        await _drop(base_url, names)


async def main() -> None:
    base_url = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    print(f"cpu_count: {os.cpu_count()}")
    if not base_url:
        print("ARKIV5_BENCH_POSTGRES_URL is not set; nothing measured")
        return
    sizes = [int(s) for s in os.environ.get("MIGRERING_BENCH_JOURNALPOSTS", "2000,20000").split(",") if s.strip()]
    print("| journalposts | imported/s (wall) | import s | import CPU s | PostgreSQL CPU s | imported/s per CPU s "
          "| peak RSS | baseline: bare lxml parse/s | validation s | export s | load (1 min) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory(prefix="bench-migrering-") as tmp:
        for size in sizes:
            print(await measure(base_url, size, Path(tmp)), flush=True)
    print("\nTarget: ≥ 2,000 journalposts/s imported (PostgreSQL, 2 cores).")


if __name__ == "__main__":
    asyncio.run(main())
