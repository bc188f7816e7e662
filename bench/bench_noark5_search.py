"""Benchmark: Noark 5 lists and OData `$filter` over 1,000,000 journalposts on PostgreSQL.

Run: ``ARKIV5_BENCH_POSTGRES_URL=postgresql+asyncpg://… uv run python bench/bench_noark5_search.py``
A fresh database is created (migrated by the app) and dropped afterwards. The archive
generator (bench/journal_archive.py, shared with bench_journal_search.py) fills it with
ARKIV5_BENCH_JOURNAL_ARCHIVE journalposts (default 1,000,000, one case per ten); one case in
fifty is then classified under a large klasse and twenty cases under a small one, so a
class's `mappe` list has both shapes. The mix of QUERIES below — what a Noark 5 client asks:
`journalstatus/kode eq 'J'`, `contains(tittel,'…')`, `year(journaldato) eq …`, `startswith`,
`$orderby`, `$top`/`$skip`, the next page by following `next`, the case list, an arkivdel's
and a klasse's cases, a case's journalposts — is timed through the ASGI app in-process
(httpx ASGITransport: the HTTP stack, token check, policy, visibility and the HAL answer
included), one request at a time, ARKIV5_BENCH_SEARCH_ROUNDS requests (default 540).
Target: p95 < 50 ms.

Baselines in the same run, each right after its Noark 5 request so both see the same
machine load: the list's own query as bare SQL (the very `Select` the route issues, through
SQLAlchemy Core and asyncpg: no ORM, no policy, no HTTP), and, where our own API has the
same list (`GET /journalposter` with journalstatus, journalposttype, fra/til, $top, $skip),
that request.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

sys.path.insert(0, str(Path(__file__).parent))  # the archive generator and the search bench's helpers

import httpx
from bench_journal_search import _database, _drop, _p

from arkiv5_journal.app import create_app
from arkiv5_journal.noark5 import odata
from arkiv5_journal.settings import JournalSettings
from arkiv5_journal.store import repository
from arkiv5_kit.testing import TestTokenIssuer
from arkiv5_kit.transport.embedded import EmbeddedTransport

UNIT = "00000000-0000-4000-8000-000000000001"
API = "/noark5/api/"
KLASSIFIKASJONSSYSTEM = "00000000-0000-4000-8000-00000000c000"
BIG_KLASSE = "00000000-0000-4000-8000-00000000c001"
SMALL_KLASSE = "00000000-0000-4000-8000-00000000c002"

# (label, Noark 5 path and query, own API's equivalent or None). `{arkivdel}`, `{saksmappe}`
# and `{next}` are filled in at run time; `{next}` is the first page's `next` link followed.
# The generator's titles: two of 30 words and a name for a journalpost (a word on about 13 %,
# a name on 10 %); the years 2016–2026; 5 % screened (their public title is `*****`).
JOURNALPOSTER = API + "sakarkiv/journalpost/"
QUERIES: list[tuple[str, str, dict[str, Any], dict[str, Any] | None]] = [
    ("journalpost list, first page", JOURNALPOSTER, {}, {"$top": 100}),
    ("journalpost $top=25 $skip=1000", JOURNALPOSTER, {"$top": 25, "$skip": 1000}, {"$top": 25, "$skip": 1000}),
    ("journalstatus/kode eq 'J'", JOURNALPOSTER, {"$filter": "journalstatus/kode eq 'J'"},
     {"journalstatus": "J", "$top": 100}),
    ("journalposttype/kode eq 'I' and journalstatus/kode eq 'F', $top=25", JOURNALPOSTER,
     {"$filter": "journalposttype/kode eq 'I' and journalstatus/kode eq 'F'", "$top": 25},
     {"journalposttype": "I", "journalstatus": "F", "$top": 25}),
    ("year(journaldato) eq 2025", JOURNALPOSTER, {"$filter": "year(journaldato) eq 2025"},
     {"fra": "2025-01-01", "til": "2025-12-31", "$top": 100}),
    ("year(journaldato) eq 2019, $top=25", JOURNALPOSTER, {"$filter": "year(journaldato) eq 2019", "$top": 25},
     {"fra": "2019-01-01", "til": "2019-12-31", "$top": 25}),
    ("journaldato ge 2020-03-01 and journaldato le 2020-03-31, $orderby journaldato desc", JOURNALPOSTER,
     {"$filter": "journaldato ge 2020-03-01 and journaldato le 2020-03-31", "$orderby": "journaldato desc"}, None),
    ("month(journaldato) eq 11 and journalaar eq 2024, $top=25", JOURNALPOSTER,
     {"$filter": "month(journaldato) eq 11 and journalaar eq 2024", "$top": 25}, None),
    ("contains(tittel,'garasje')", JOURNALPOSTER, {"$filter": "contains(tittel,'garasje')"}, None),
    ("contains(tittel,'Kari Hansen') and journalstatus/kode eq 'J', $top=25", JOURNALPOSTER,
     {"$filter": "contains(tittel,'Kari Hansen') and journalstatus/kode eq 'J'", "$top": 25}, None),
    ("startswith(tittel,'klage'), $top=25", JOURNALPOSTER, {"$filter": "startswith(tittel,'klage')", "$top": 25},
     None),
    ("contains(tittel,'brøyting') and year(journaldato) eq 2018, $top=25", JOURNALPOSTER,
     {"$filter": "contains(tittel,'brøyting') and year(journaldato) eq 2018", "$top": 25}, None),
    ("not journalstatus/kode eq 'A' or journalaar lt 2017, $orderby journaldato", JOURNALPOSTER,
     {"$filter": "not journalstatus/kode eq 'A' or journalaar lt 2017", "$orderby": "journaldato", "$top": 25}, None),
    ("next page of journalstatus/kode eq 'E' (followed link)", "{next}", {}, None),
    ("saksmappe list", API + "sakarkiv/saksmappe/", {}, None),
    ("saksmappe list, $skip=5000", API + "sakarkiv/saksmappe/", {"$top": 25, "$skip": 5000}, None),
    ("an arkivdel's mappe", API + "arkivstruktur/arkivdel/{arkivdel}/mappe/", {"$top": 25}, None),
    ("a large klasse's mappe (1 case in 50)", API + f"arkivstruktur/klasse/{BIG_KLASSE}/mappe/", {"$top": 25}, None),
    ("a small klasse's mappe (20 cases)", API + f"arkivstruktur/klasse/{SMALL_KLASSE}/mappe/", {}, None),
    ("a saksmappe's journalpost", API + "sakarkiv/saksmappe/{saksmappe}/journalpost/", {}, None),
]


async def _classify(url: str) -> None:
    """A klassifikasjonssystem with two klasser: one case in fifty under the first, twenty under the second."""
    import asyncpg
    from sqlalchemy.engine import make_url

    connection = await asyncpg.connect(make_url(url).set(drivername="postgresql").render_as_string(hide_password=False))
    try:
        await connection.execute(f"""
            INSERT INTO klassifikasjonssystem (system_id, klassifikasjonstype, tittel, opprettet_dato, opprettet_av)
            VALUES ('{KLASSIFIKASJONSSYSTEM}', 'EH', 'Emnebasert', now(), 'generator')""")
        await connection.execute(f"""
            INSERT INTO klasse (system_id, klassifikasjonssystem_id, klasse_id, tittel, opprettet_dato, opprettet_av)
            VALUES ('{BIG_KLASSE}', '{KLASSIFIKASJONSSYSTEM}', '611', 'Byggesaker', now(), 'generator'),
                   ('{SMALL_KLASSE}', '{KLASSIFIKASJONSSYSTEM}', '243', 'Skjenking', now(), 'generator')""")
        await connection.execute(f"UPDATE saksmappe SET klasse_id = '{BIG_KLASSE}'"
                                 " WHERE opprettet_av = 'generator' AND sakssekvensnummer % 50 = 7")
        await connection.execute(f"UPDATE saksmappe SET klasse_id = '{SMALL_KLASSE}' WHERE opprettet_av = 'generator'"
                                 " AND sakssekvensnummer % 5000 = 11")
        await connection.execute("VACUUM (ANALYZE) saksmappe, klasse")
    finally:
        await connection.close()


def _statement(path: str, params: dict[str, Any], ids: dict[str, str]) -> Any:
    """The route's own query (repository's JournalpostFilter or case list), as the route builds it."""
    from uuid import UUID

    top, skip = int(params.get("$top", odata.DEFAULT_TOP)) + 1, int(params.get("$skip", 0))
    if path == JOURNALPOSTER or path == "{next}":
        if path == "{next}":
            params = dict(parse_qsl(urlsplit(ids["next"]).query))
            top, skip = int(params["$top"]) + 1, int(params["$skip"])
        conditions = odata.parse_filter(params["$filter"]) if "$filter" in params else ()
        order = odata.parse_orderby(params["$orderby"]) if "$orderby" in params else ()
        return repository.JournalpostFilter(conditions=conditions, order=order).select().offset(skip).limit(top)
    if path.endswith("/journalpost/"):
        from sqlalchemy import select
        from sqlmodel import col

        from arkiv5_journal.models import Journalpost
        return select(Journalpost).where(col(Journalpost.saksmappe_id) == UUID(ids["saksmappe"])).order_by(
            col(Journalpost.journalpostnummer))
    return repository.saksmapper_select(
        skip=skip, top=top, arkivdel_id=UUID(ids["arkivdel"]) if "{arkivdel}" in path else None,
        klasse_id=UUID(path.split("/klasse/")[1].split("/")[0]) if "/klasse/" in path else None)


async def _measure(client: httpx.AsyncClient, headers: dict[str, str], engine: Any, ids: dict[str, str],
                   rounds: int) -> tuple[dict[int, list[float]], dict[int, list[float]], dict[int, list[float]]]:
    """Each query through the Noark 5 interface, then as bare SQL, then through our own API where it has it."""
    noark5: dict[int, list[float]] = {}
    sql: dict[int, list[float]] = {}
    own: dict[int, list[float]] = {}
    async with engine.connect() as connection:
        for i in range(rounds):
            k = i % len(QUERIES)
            _label, path, params, own_params = QUERIES[k]
            url = ids["next"] if path == "{next}" else path.format(**ids)
            start = time.perf_counter()
            response = await client.get(url, params=params, headers=headers)
            noark5.setdefault(k, []).append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200, response.text
            statement = _statement(path, params, ids)
            start = time.perf_counter()
            (await connection.execute(statement)).all()
            sql.setdefault(k, []).append((time.perf_counter() - start) * 1000)
            if own_params is not None:
                start = time.perf_counter()
                answer = await client.get("/journalposter", params=own_params, headers=headers)
                own.setdefault(k, []).append((time.perf_counter() - start) * 1000)
                assert answer.status_code == 200, answer.text
        await connection.rollback()
    return noark5, sql, own


async def main() -> None:
    base_url = os.environ.get("ARKIV5_BENCH_POSTGRES_URL")
    print(f"cpu_count: {os.cpu_count()}; load average {os.getloadavg()[0]:.2f} at the start")
    if not base_url:
        print("ARKIV5_BENCH_POSTGRES_URL is not set; nothing measured")
        return
    archive = int(os.environ.get("ARKIV5_BENCH_JOURNAL_ARCHIVE", "1000000"))
    rounds = int(os.environ.get("ARKIV5_BENCH_SEARCH_ROUNDS", str(27 * len(QUERIES))))
    url, name = await _database(base_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            settings = JournalSettings(var_dir=Path(tmp), environment="test", database_url=url, log_level="WARNING")
            app = create_app(settings, bus=EmbeddedTransport(f"sqlite+aiosqlite:///{tmp}/bus.sqlite"))
            issuer = TestTokenIssuer()
            app.state.token_verifier = issuer.verifier("journal")
            await app.state.runtime.start()
            # A system client without access codes, as in bench_journal_search.py: the
            # generator's screened journalposts (5 %) are shown to it masked.
            headers = issuer.headers(sub="bench", audience="journal", scopes=["journal.read", "journal.write"],
                                     roles=["fagsystem"], lifetime_s=3600)
            try:
                async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://b",
                                             timeout=60) as client:
                    created = await client.post("/saksmapper", json={"tittel": "Bench", "administrativEnhet": UNIT},
                                                headers=headers)
                    assert created.status_code == 201, created.text
                    from journal_archive import generate

                    from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID

                    began = time.perf_counter()
                    await generate(url, journalposts=archive, arkivdel_id=str(DEFAULT_ARKIVDEL_ID))
                    await _classify(url)
                    generated_s = time.perf_counter() - began
                    # A case from the middle of the archive, and the first page's `next` link of a list.
                    cases = (await client.get(API + "sakarkiv/saksmappe/", params={"$top": 1, "$skip": archive // 20},
                                              headers=headers)).json()
                    first = (await client.get(JOURNALPOSTER, params={"$filter": "journalstatus/kode eq 'E'",
                                                                     "$top": 25}, headers=headers)).json()
                    ids = {"arkivdel": str(DEFAULT_ARKIVDEL_ID), "saksmappe": cases["results"][0]["systemID"],
                           "next": first["_links"]["next"]["href"]}
                    engine = app.state.runtime.database.engine
                    await _measure(client, headers, engine, ids, 2 * len(QUERIES))  # caches, prepared statements
                    load_before = os.getloadavg()[0]
                    noark5, sql, own = await _measure(client, headers, engine, ids, rounds)
                    load_after = os.getloadavg()[0]
            finally:
                await app.state.runtime.stop()
    finally:
        await _drop(base_url, name)
    every = [v for values in noark5.values() for v in values]
    every_sql = [v for values in sql.values() for v in values]
    print()
    print("| benchmark | median | p99 | unit | baseline | ratio | target |")
    print("|---|---|---|---|---|---|---|")
    print(f"| Noark 5 lists and $filter, {len(QUERIES)}-query mix over {archive:,} journalposts, {len(every)} "
          f"requests (p99 column: p95; baseline: p95 of the same queries as bare SQL) | "
          f"{statistics.median(every):.1f} | {_p(every, 95):.1f} | ms | {_p(every_sql, 95):.1f} "
          f"| {_p(every, 95) / _p(every_sql, 95):.1f} | p95 < 50 |")
    print(f"| the same queries as bare SQL (p99 column: p95) | {statistics.median(every_sql):.1f} "
          f"| {_p(every_sql, 95):.1f} | ms | - | - | - |")
    print()
    print("| query | Noark 5 median | Noark 5 p95 | bare SQL median | our API's GET /journalposter median |")
    print("|---|---:|---:|---:|---:|")
    for k, (label, _path, _params, _own) in enumerate(QUERIES):
        print(f"| {label} | {statistics.median(noark5[k]):.1f} | {_p(noark5[k], 95):.1f} "
              f"| {statistics.median(sql[k]):.1f} | {f'{statistics.median(own[k]):.1f}' if k in own else '-'} |")
    print(f"(archive generated in {generated_s:.0f} s; load average {load_before:.2f} before the timed rounds, "
          f"{load_after:.2f} after)")


if __name__ == "__main__":
    asyncio.run(main())
