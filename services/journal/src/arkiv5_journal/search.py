"""Full-text search over titles and parties, never returning what the caller may not see.

The index and its queries are the store's (`store/search.py`); which hits a caller sees, and
masked how, is the visibility module's: a hit on the public text is shown to every reader
(masked as the reader may see it); a hit only on the full text is shown only to a caller the
policy lets read the screened content, so a search for a screened name finds nothing for
anyone else.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.auth import Principal as Caller

from . import visibility
from .models import Journalpost, Saksmappe
from .schemas import JournalpostOut
from .store.search import Filters, pages, terms

__all__ = ["Filters", "count", "search"]

MAX_SCANNED = 5000
"""Candidates looked at per search: enough for any page a person reads."""


async def search(session: AsyncSession, *, caller: Caller, q: str, filters: Filters, top: int, skip: int,
                 newest_first: bool) -> list[JournalpostOut]:
    """The page of hits the caller may see, each as the caller may see it."""
    words = terms(q)
    if not words:
        return []
    page = pages(session, words, filters, newest_first=newest_first)
    visible: list[tuple[Journalpost, Saksmappe]] = []
    masked: set[UUID] = set()
    seen = 0
    batch = top + skip + 10  # a few spare for hits the caller may not see
    while seen < MAX_SCANNED and len(visible) < skip + top:
        rows = await page(seen, batch)
        if not rows:
            break
        seen += len(rows)
        shown, hidden = await visibility.search_hits(session, caller, rows, words)
        visible += shown
        masked |= hidden
        if len(rows) < batch:
            break  # no more hits
    return await visibility.journalposter_out(session, visible[skip:skip + top], masked_ids=masked, detail=False)


async def count(session: AsyncSession, *, caller: Caller, q: str, filters: Filters, newest_first: bool,
                at_most: int) -> int:
    """How many hits the caller may see, counted up to `at_most` among the MAX_SCANNED candidates
    `search` looks at (so the count is what its pages reach): the same decisions, nothing rendered."""
    words = terms(q)
    if not words:
        return 0
    page = pages(session, words, filters, newest_first=newest_first)
    counted = seen = 0
    # As `search`: ask for what is wanted and a few spare, so that a page of common words comes
    # from the newest rows (store/search.py's window) rather than from every hit.
    batch = at_most + 10
    while seen < MAX_SCANNED and counted < at_most:
        rows = await page(seen, batch)
        seen += len(rows)
        counted += len((await visibility.search_hits(session, caller, rows, words))[0]) if rows else 0
        if len(rows) < batch:
            break  # no more hits
    return min(counted, at_most)
