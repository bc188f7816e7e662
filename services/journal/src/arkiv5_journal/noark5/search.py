"""OData `$search` on the Noark 5 journalpost list: the journal's own full-text search (`search.search`).

The same words, index and visibility as our own `GET /sok`: a hit only on screened words
does not exist for a caller without clearance, each hit is masked as the caller may see
it. `$filter` narrows it as far as the search's filters reach — comparisons joined by
`and` on journalaar, journalstatus/kode, journalposttype/kode, journaldato and
year(journaldato) — and `$orderby` is journaldato (newest first unless `asc`); anything
else with `$search` is a 400 that names it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.auth import Principal as Caller

from .. import search
from ..errors import UnsupportedQuery
from ..models import Saksmappe
from . import counts, odata, render
from .http import hal

MAX_SKIP = 1000
"""As our own `/sok`: the search looks at a bounded number of candidates (`search.MAX_SCANNED`)."""
COUNT_PAGES_AHEAD = 1
"""Pages of hits counted past a page's start (fewer than a list's: each candidate is read and
decided by the policy, as on a page)."""
_SEARCHABLE = {"journalaar": "journalaar", "journalstatus": "journalstatus", "journalposttype": "journalposttype"}


def words(text: str) -> str:
    """`$search=garasje`, `'Kari Hansen'` or `"Kari Hansen"`: the text inside the quotes; every word must match."""
    stripped = text.strip()
    if len(stripped) >= 2 and stripped[0] == stripped[-1] and stripped[0] in "'\"":
        stripped = stripped[1:-1]
    if not search.terms(stripped):
        raise UnsupportedQuery("$search needs at least one word.")
    return stripped


def filters(conditions: tuple[odata.Node, ...]) -> search.Filters:
    """The search's filters for a `$filter` joined by `and`; 400 naming what the search cannot narrow by."""
    wanted = search.Filters()
    for node in _conjuncts(conditions):
        field, op, value = node if len(node) == 3 and isinstance(node[0], str) else ("", "", None)
        if field in _SEARCHABLE and op == "eq":
            if getattr(wanted, _SEARCHABLE[field]) not in (None, value):
                return replace(wanted, fra=date.max, til=date.min)  # two values: nothing matches
            wanted = replace(wanted, **{_SEARCHABLE[field]: value})
        elif field in ("journaldato", "journaldato_year") and op in ("eq", "ge", "gt", "le", "lt"):
            wanted = _dates(wanted, field, op, value)
        else:
            raise UnsupportedQuery("With $search, $filter takes comparisons joined by and: eq on journalaar, "
                                   "journalstatus/kode, journalposttype/kode and year(journaldato), and eq, gt, ge, "
                                   "lt, le on journaldato.")
    return wanted


def _conjuncts(conditions: tuple[odata.Node, ...]) -> list[odata.Node]:
    parts: list[odata.Node] = []
    for node in conditions:
        parts += _conjuncts(node[1]) if node[0] == "and" else [node]
    return parts


def _dates(wanted: search.Filters, field: str, op: str, value: Any) -> search.Filters:
    if field == "journaldato_year":
        first, last = date(value, 1, 1), date(value, 12, 31)
    else:
        try:
            first = value + timedelta(days=1) if op == "gt" else value
            last = value - timedelta(days=1) if op == "lt" else value
        except OverflowError:  # after 9999-12-31 or before 0001-01-01: no day
            return replace(wanted, fra=date.max, til=date.min)
    fra = max(wanted.fra or date.min, first) if op in ("eq", "ge", "gt") else wanted.fra
    til = min(wanted.til or date.max, last) if op in ("eq", "le", "lt") else wanted.til
    return replace(wanted, fra=fra, til=til)


def newest_first(orderby: str | None) -> bool:
    if orderby is None:
        return True
    keys = orderby.split()
    if keys not in (["journaldato"], ["journaldato", "asc"], ["journaldato", "desc"]):
        raise UnsupportedQuery("With $search, $orderby takes journaldato, optionally asc or desc.")
    return keys[-1] == "desc"


async def page(request: Request, session: AsyncSession, caller: Caller, text: str, filter_: str | None,
               orderby: str | None, paging: odata.Paging) -> JSONResponse:
    """A page of the hits the caller may see, with `next` and the count of hits."""
    if paging.skip > MAX_SKIP:
        raise UnsupportedQuery(f"With $search, $skip is at most {MAX_SKIP}; narrow the search instead.")
    conditions = odata.parse_filter(filter_) if filter_ else ()
    q, narrowed, newest = words(text), filters(conditions), newest_first(orderby)
    hits = await search.search(session, caller=caller, q=q, filters=narrowed, top=paging.top + 1, skip=paging.skip,
                               newest_first=newest)
    more, shown = len(hits) > paging.top, hits[:paging.top]
    cases = {s.system_id: s for s in (await session.execute(
        select(Saksmappe).where(col(Saksmappe.system_id).in_({hit.saksmappe for hit in shown})))).scalars()}
    total = await counts.total(paging, len(shown), more=more, pages_ahead=COUNT_PAGES_AHEAD, count=lambda at_most: search.count(
        session, caller=caller, q=q, filters=narrowed, newest_first=newest, at_most=at_most))
    own = "sakarkiv/journalpost/"

    def link_query(skip: int) -> str:
        return odata.query(filter_, paging.top, skip, orderby, search=text)
    return hal(request, render.page(request, own + link_query(paging.skip),
                                    [render.journalpost(request, hit, cases[hit.saksmappe]) for hit in shown],
                                    next_path=own + link_query(paging.skip + paging.top) if more else None,
                                    total=total))
