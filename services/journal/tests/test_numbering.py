"""Case and journal numbers: unique and gapless per year under concurrent registration."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from arkiv5_journal.domain.numbering import today_in_oslo
from arkiv5_journal.models import Journalpost
from arkiv5_kit.messaging import outbox_table

from .conftest import Journal, case, incoming


def test_the_year_is_the_norwegian_one() -> None:
    # 23:30 UTC on 31 December is 00:30 on 1 January in Oslo: the new series.
    assert today_in_oslo(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)).isoformat() == "2027-01-01"
    assert today_in_oslo(datetime(2026, 6, 30, 21, 59, tzinfo=UTC)).isoformat() == "2026-06-30"


async def _register_concurrently(journal: Journal, *, clients: int, total: int, cases: int) -> list[dict[str, Any]]:
    # One token for the whole run, which on a loaded two-core machine outlasts the usual 300 s.
    headers = journal.fagsystem(lifetime_s=3600)
    case_ids = []
    for _ in range(cases):
        response = await journal.client.post("/saksmapper", json=case(), headers=headers)
        assert response.status_code == 201, response.text
        case_ids.append(response.json()["systemID"])
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(total):
        queue.put_nowait(i)
    results: list[dict[str, Any]] = []

    async def client() -> None:
        while True:
            try:
                i = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            response = await journal.client.post(f"/saksmapper/{case_ids[i % cases]}/journalposter",
                                                 json=incoming(), headers=headers)
            assert response.status_code == 201, response.text
            results.append(response.json())

    await asyncio.gather(*(client() for _ in range(clients)))
    return results


async def _assert_gapless(journal: Journal, total: int) -> None:
    async with journal.runtime.database.unit_of_work() as session:
        rows = (await session.execute(select(Journalpost))).scalars().all()
        payloads = (await session.execute(select(outbox_table.c.payload).where(
            outbox_table.c.event_type.like("%journalpost.registered%")))).scalars().all()
    assert len(rows) == total
    by_year: dict[int, list[int]] = {}
    for row in rows:
        by_year.setdefault(row.journalaar, []).append(row.journalsekvensnummer)
    for numbers in by_year.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    by_case: dict[Any, list[int]] = {}
    for row in rows:
        by_case.setdefault(row.saksmappe_id, []).append(row.journalpostnummer)
    for numbers in by_case.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    events = Counter(json.loads(p)["journalpost_id"] for p in payloads)
    assert set(events) == {str(row.system_id) for row in rows}
    assert set(events.values()) == {1}
    # The event carries the number the journalpost got (on PostgreSQL it is set inside the
    # statement that takes it).
    published = {json.loads(p)["journalpost_id"]: json.loads(p)["journalsekvensnummer"] for p in payloads}
    assert published == {str(row.system_id): row.journalsekvensnummer for row in rows}


async def test_concurrent_clients_get_unique_gapless_numbers(db_backend: Any, journal_factory: Any) -> None:
    # PostgreSQL takes the real load (50 clients); SQLite serialises writers, so a small one proves it.
    clients, total, cases, pool = (50, 5000, 10, 25) if db_backend.is_postgresql else (10, 60, 3, 10)
    async for journal in journal_factory(database_pool_size=pool):
        await _register_concurrently(journal, clients=clients, total=total, cases=cases)
        await _assert_gapless(journal, total)
