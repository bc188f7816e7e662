"""Benchmark: journalpost registration over HTTP on PostgreSQL, and gapless numbering at scale.

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/bench_journal.py [registrations]``
(default 5,000). A fresh database is created and dropped.

One registration = ``POST /saksmapper/{id}/journalposter`` (incoming, two
korrespondanseparter) + ``POST /journalposter/{id}/dokumenter`` (a 100 KB PDF), through the
ASGI app in-process (httpx ASGITransport: the HTTP stack without sockets), 32 concurrent
clients for latency and throughput (target ≥ 200/s on 2 cores, p99 < 250 ms), then 50
concurrent clients checked for unique, gapless numbers and exactly one outbox event each.
Then the archive generator (bench/journal_archive.py) adds ARKIV5_BENCH_JOURNAL_ARCHIVE
journalposts (default 1,000,000) and `GET /sok` is timed for one- and two-word queries with
and without filters (target p95 < 50 ms).
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))  # the archive generator beside this script

import httpx
from sqlalchemy import select
from sqlalchemy.engine import make_url

from arkiv5_journal.app import create_app
from arkiv5_journal.models import Journalpost
from arkiv5_journal.settings import JournalSettings
from arkiv5_kit.messaging import outbox_table
from arkiv5_kit.testing import TestTokenIssuer
from arkiv5_kit.transport.embedded import EmbeddedTransport

DOCUMENT = b"%PDF-1.7\n" + os.urandom(100 * 1024 - 16) + b"\n%%EOF\n"
UNIT = "00000000-0000-4000-8000-000000000001"
BODY = {
    "journalposttype": "I", "tittel": "Søknad om tilbygg", "mottattDato": "2026-11-20",
    "korrespondansepart": [
        {"korrespondanseparttype": "EA", "korrespondansepartNavn": "Ola Nordmann", "foedselsnummer": "01010012356",
         "postadresse": ["Storgata 1"], "postnummer": "4514", "poststed": "Mandal"},
        {"korrespondanseparttype": "EK", "korrespondansepartNavn": "Lindesnes Bygg AS", "organisasjonsnummer": "974760673"},
    ],
}
BODY_WITH_DOCUMENT = {**BODY, "dokumentbeskrivelse": [{"fil": "dokument", "tittel": "Søknad"}]}


async def _database(base_url: str) -> tuple[str, str]:
    import asyncpg

    base = make_url(base_url)
    name = f"bench_journal_{uuid.uuid4().hex[:8]}"
    admin = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
    await admin.execute(f'CREATE DATABASE "{name}"')
    await admin.close()
    return base.set(database=name).render_as_string(hide_password=False), name


async def _drop(base_url: str, name: str) -> None:
    import asyncpg

    base = make_url(base_url)
    admin = await asyncpg.connect(base.set(drivername="postgresql").render_as_string(hide_password=False))
    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    await admin.close()


async def _run(client: httpx.AsyncClient, headers: dict[str, str], cases: list[str], total: int, clients: int,
               with_document: bool) -> tuple[list[float], float]:
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    latencies: list[float] = []
    # One request per registration: the journalpost JSON and the document as multipart/form-data,
    # encoded once (a load generator sends the same bytes; the server parses every request).
    multipart = httpx.Request("POST", "http://b/", data={"journalpost": json.dumps(BODY_WITH_DOCUMENT)},
                              files={"dokument": ("soknad.pdf", DOCUMENT, "application/pdf")})
    multipart_body, multipart_type = multipart.read(), multipart.headers["Content-Type"]

    async def worker() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            start = time.perf_counter()
            url = f"/saksmapper/{cases[i % len(cases)]}/journalposter"
            if with_document:
                response = await client.post(url, content=multipart_body,
                                             headers={**headers, "Content-Type": multipart_type})
            else:
                response = await client.post(url, json=BODY, headers=headers)
            assert response.status_code == 201, response.text
            latencies.append(time.perf_counter() - start)

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(clients)))
    return latencies, time.perf_counter() - began


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


QUERIES = [
    {"q": "byggesøknad"}, {"q": "garasje tilbygg"}, {"q": "klage", "journalaar": 2021},
    {"q": "sosialhjelp", "journalposttype": "I"}, {"q": "startlån", "journalstatus": "J"},
    {"q": "kari hansen"}, {"q": "brøyting", "fra": "2019-01-01", "til": "2019-12-31"},
    {"q": "skjenkebevilling", "administrativEnhet": "00000000-0000-4000-8000-000000000003"},
]


async def _search(client: httpx.AsyncClient, headers: dict[str, str], rounds: int) -> list[float]:
    latencies = []
    for i in range(rounds):
        start = time.perf_counter()
        response = await client.get("/sok", params=QUERIES[i % len(QUERIES)], headers=headers)
        assert response.status_code == 200, response.text
        latencies.append((time.perf_counter() - start) * 1000)
    return latencies


async def main(total: int) -> None:
    base_url = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    print(f"cpu_count: {os.cpu_count()}")
    if not base_url:
        print("ARKIV5_BENCH_POSTGRES_URL is not set; nothing measured")
        return
    url, name = await _database(base_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = JournalSettings(var_dir=Path(tmp), environment="test", database_url=url, database_pool_size=40,
                                       log_level="WARNING")
            app = create_app(settings, bus=EmbeddedTransport(f"sqlite+aiosqlite:///{tmp}/bus.sqlite"))
            issuer = TestTokenIssuer()
            app.state.token_verifier = issuer.verifier("journal")
            await app.state.runtime.start()
            headers = issuer.headers(sub="bench", audience="journal", scopes=["journal.read", "journal.write"],
                                     roles=["fagsystem"], lifetime_s=3600)
            try:
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b",
                                             timeout=60) as client:
                    cases = []
                    for _ in range(50):
                        r = await client.post("/saksmapper", json={"tittel": "Bench", "administrativEnhet": UNIT},
                                              headers=headers)
                        cases.append(r.json()["systemID"])
                    latencies, elapsed = await _run(client, headers, cases, total, 32, with_document=True)
                    _, elapsed50 = await _run(client, headers, cases, total, 50, with_document=False)
                    async with app.state.runtime.database.unit_of_work() as session:
                        rows = (await session.execute(select(Journalpost.journalaar, Journalpost.journalsekvensnummer,
                                                             Journalpost.system_id))).all()
                        payloads = (await session.execute(select(outbox_table.c.payload).where(
                            outbox_table.c.event_type.like("%journalpost.registered%")))).scalars().all()
                    archive = int(os.environ.get("ARKIV5_BENCH_JOURNAL_ARCHIVE", "1000000"))
                    from journal_archive import generate

                    from arkiv5_journal.service import DEFAULT_ARKIVDEL_ID

                    began = time.perf_counter()
                    await generate(url, journalposts=archive, arkivdel_id=str(DEFAULT_ARKIVDEL_ID))
                    generated_s = time.perf_counter() - began
                    await _search(client, headers, 20)  # warm caches
                    search_ms = await _search(client, headers, 400)
            finally:
                await app.state.runtime.stop()
    finally:
        await _drop(base_url, name)
    numbers = sorted(r[1] for r in rows)
    gapless = numbers == list(range(1, len(numbers) + 1))
    events = Counter(json.loads(p)["journalpost_id"] for p in payloads)
    one_event_each = set(events) == {str(r[2]) for r in rows} and set(events.values()) == {1}
    ms = [v * 1000 for v in latencies]
    print()
    print("| benchmark | median | p99 | unit | baseline | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    print(f"| registration + 100 KB document, 32 clients (latency) | {statistics.median(ms):.1f} | {_p(ms, 99):.1f} "
          f"| ms | - | - | p99 < 250 |")
    print(f"| registration + 100 KB document, 32 clients (throughput) | {total / elapsed:.0f} | - | /s | - | - | ≥ 200 |")
    print(f"| registration, 50 clients, {total} journalposts (throughput) | {total / elapsed50:.0f} | - | /s | - | - | - |")
    print(f"| numbers gapless ({len(numbers)}) and one event each | {gapless and one_event_each} | - | bool | - | - | True |")
    p95 = statistics.quantiles(search_ms, n=100)[94]
    print(f"| search over {archive:,} journalposts (p99 column: p95) | {statistics.median(search_ms):.1f} | {p95:.1f} "
          f"| ms | - | - | p95 < 50 |")
    print(f"(archive generated in {generated_s:.0f} s)")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 5000))
