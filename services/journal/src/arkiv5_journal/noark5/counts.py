"""The `count` of a Noark 5 list: the whole list's size, as the standard has it, within a bound that keeps it cheap."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from .odata import Paging

COUNT_PAGES_AHEAD = 2
"""Pages counted past a page's start. An exact total at a million rows reads every matching row
(and, for a filter no index answers, every row): with a bound of 10,000 records
bench/bench_noark5_search.py's mix took twice as long (its p95 from 23 to 53 ms over 300,000
journalposts). A bound well above the page also lets PostgreSQL's estimate of a rare filter
choose to read all its matches and sort them rather than walk the page's index
(`month(journaldato) eq 11 and journalaar eq 2024`, $top=25, over 1,000,000 journalposts:
14 ms a page without a count, 90 ms with ten pages counted ahead). So a longer list's `count`
stops two pages on (see `total`)."""


async def total(paging: Paging, rows: int, *, more: bool, count: Callable[[int], Awaitable[int]] | None,
                pages_ahead: int | None = None) -> int:
    """The list's `count`. The last page (or an empty first one) tells it. Otherwise one count
    query through the list's conditions, exact up to `$skip` + two pages of `$top` and that bound
    plus one beyond (OData lets a count be inexact; `next` pages on to the end). With no count
    query (`count` None: the rows are decided one by one, as for the title functions) it is the
    rows up to this page's end plus one while `next` continues."""
    if not more and (rows or not paging.skip):
        return paging.skip + rows
    if count is None:
        return paging.skip + rows + (1 if more else 0)
    return await count(paging.skip + paging.top * (pages_ahead or COUNT_PAGES_AHEAD) + 1)
