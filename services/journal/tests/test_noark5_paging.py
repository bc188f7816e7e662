"""Server paging of the Noark 5 journalpost list over more than a thousand journalposts: a
client that follows `next` alone sees every journalpost exactly once; `$top` over the page
limit is refused by name, not silently cut.

Runs on SQLite and PostgreSQL (the `journal` fixture).
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

import pytest

from arkiv5_journal.api.translate import registration_command
from arkiv5_journal.journalpost.register import register
from arkiv5_journal.noark5 import counts
from arkiv5_journal.noark5.odata import MAX_TOP
from arkiv5_journal.schemas import JournalpostCreate
from arkiv5_kit.auth import Principal

from .conftest import Journal, incoming
from .test_noark5_api import _get, _handler, _list_href, _new_case, _package

JOURNALPOSTS = 1_001
BATCH = 100  # registrations per unit of work: fewer commits, the same use case


@dataclass
class Archive:
    headers: dict[str, str]
    journalposts: set[str]


@pytest.fixture
async def archive(journal: Journal) -> Archive:
    """A case with 1,001 journalposts, registered by the journal's registration use case (the
    same way in as every API, without a thousand HTTP round trips or commits)."""
    headers, person = await _handler(journal)
    saksmappe = (await _new_case(journal, headers, person)).json()
    caller = Principal(await journal.app.state.token_verifier.verify(headers["Authorization"].split(" ", 1)[1]))
    command = registration_command(UUID(saksmappe["systemID"]), JournalpostCreate.model_validate(incoming()), [])
    registered: set[str] = set()
    for first in range(0, JOURNALPOSTS, BATCH):
        async with journal.runtime.database.unit_of_work() as session:
            for _ in range(min(BATCH, JOURNALPOSTS - first)):
                result = await register(session, journal.app.state.journal_context, caller, command)
                registered.add(str(result.journalpost.system_id))
    return Archive(headers=headers, journalposts=registered)


async def test_following_next_sees_every_journalpost_exactly_once(journal: Journal, archive: Archive) -> None:
    href = _list_href((await _package(journal, archive.headers, "sakarkiv"))["_links"], "sakarkiv/journalpost")
    seen: list[str] = []
    pages = 0
    next_href: str | None = href
    while next_href:
        page = (await _get(journal, next_href, archive.headers)).json()
        # count: the whole list's size (the standard's «antall elementer totalt»), counted up to
        # two pages past the page's start.
        assert page["count"] == min(JOURNALPOSTS, len(seen) + 2 * MAX_TOP + 1) and len(page["results"]) <= MAX_TOP
        seen += [row["systemID"] for row in page["results"]]
        next_href = page["_links"].get("next", {}).get("href")
        pages += 1
    assert len(seen) == len(set(seen)) == JOURNALPOSTS
    assert set(seen) == archive.journalposts
    assert pages == -(-JOURNALPOSTS // MAX_TOP)


async def test_count_is_the_filtered_total_on_every_page(journal: Journal, archive: Archive) -> None:
    href = _list_href((await _package(journal, archive.headers, "sakarkiv"))["_links"], "sakarkiv/journalpost")
    newest = (await _get(journal, f"{href}?$top=1", archive.headers)).json()["results"][0]
    query = {"$filter": f"journalaar eq {newest['journalaar']} and not journalstatus/kode eq 'A'"}
    for skip, shown in ((801, 100), (995, 6), (1001, 0), (5000, 0)):  # within two pages of the end
        page = await journal.client.get(href, params={**query, "$top": 100, "$skip": skip}, headers=archive.headers)
        assert page.status_code == 200, page.text
        assert page.json()["count"] == JOURNALPOSTS and len(page.json()["results"]) == shown, skip
    none = await journal.client.get(href, params={"$filter": "journalaar lt 1900"}, headers=archive.headers)
    assert none.json()["count"] == 0 and none.json()["results"] == []


async def test_a_count_past_its_bound_stops_there(journal: Journal, archive: Archive) -> None:
    """Beyond `$skip` + two pages the count says "the bound and one more"; the last page tells the total."""
    assert counts.COUNT_PAGES_AHEAD == 2
    href = _list_href((await _package(journal, archive.headers, "sakarkiv"))["_links"], "sakarkiv/journalpost")
    for skip, top, count in ((0, 10, 21), (500, 100, 701), (700, 100, 901), (800, 100, 1001), (990, 10, 1001),
                             (995, 10, JOURNALPOSTS)):
        page = await journal.client.get(href, params={"$top": top, "$skip": skip}, headers=archive.headers)
        assert page.json()["count"] == count, skip


@pytest.mark.parametrize("top", [str(MAX_TOP + 1), "1000", "0"])
async def test_top_outside_the_page_limit_is_refused_naming_the_limit(journal: Journal, top: str) -> None:
    headers, _person = await _handler(journal)
    links = (await _package(journal, headers, "sakarkiv"))["_links"]
    for name in ("sakarkiv/journalpost", "sakarkiv/saksmappe"):
        refused = await journal.client.get(_list_href(links, name), params={"$top": top}, headers=headers)
        assert refused.status_code == 400, refused.text
        assert refused.json()["feil"]["kode"] == 400
        assert "$top" in refused.json()["detail"] and str(MAX_TOP) in refused.json()["detail"]
