"""The search index and its queries: what is written for each journalpost, and the pages of hits.

PostgreSQL: generated `tsvector` columns (norwegian configuration) with GIN indexes;
SQLite: an FTS5 table. Both hold a public text and a full text per journalpost (see the
migration). The public text is built from public values only, with every screened word of
the record masked — the words marked skjermet and, in a screened case, the names and
numbers of its parties — so a search for a client's name never hits the public text. Which
hits a caller sees, and how, is decided by the visibility module (see `search.search`).

On PostgreSQL a page of hits, newest first, is found in one of two ways, chosen by what
the data says rather than by the planner's estimate (which, for two words or a word it
has no statistics for, can be off by orders of magnitude):

1. the window: walk the newest WINDOW rows (within the date filters) in date order on a
   covering index (an index-only scan: date keys, full_tsv and the filter columns), and
   keep those that match. A common word fills a page within a few hundred rows; the walk
   never looks at more than WINDOW rows, whatever the words.
2. all hits: when the window holds fewer hits than the page needs the words are rare, so
   collect every hit through the GIN index (a MATERIALIZED CTE, so the planner cannot
   turn it back into an unbounded date walk) and sort those.

Either way only the page's journalposts are then read, with their cases.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from sqlalchemy import (
    Date,
    DateTime,
    Integer,
    String,
    Text,
    Uuid,
    bindparam,
    column,
    delete,
    func,
    insert,
    literal,
    select,
    table,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from ..domain import screening
from ..domain.numbering import today_in_oslo
from ..models import Journalpost, Korrespondansepart, Saksmappe

_WORD = re.compile(r"\w+", re.UNICODE)
WINDOW = 10_000
"""Rows (newest first, within the date filters) walked before falling back to all hits.

At about half a microsecond a row on the covering index this bounds the walk to ~5 ms;
words on more than ~0.4 % of the journalposts fill the first page within it, and rarer
words have few enough hits (≤ ~4,000 in a million) to read them all."""


def _public_and_full(journalpost: Journalpost, saksmappe: Saksmappe, parts: list[Korrespondansepart]) -> tuple[str, str]:
    today = today_in_oslo()
    codes = screening.journalpost_codes(journalpost, saksmappe, today)
    full = [journalpost.tittel, saksmappe.tittel, *(part.korrespondansepart_navn for part in parts)]
    public = [journalpost.offentlig_tittel, saksmappe.offentlig_tittel]
    words = public_words(journalpost, saksmappe, parts)
    for part in parts:
        wanted = screening.SENDER_CODES if part.korrespondanseparttype in screening.SENDER_TYPES else screening.RECIPIENT_CODES
        if not screening.screens(codes, wanted) and not (codes and part.foedselsnummer):
            public.append(part.korrespondansepart_navn)
    return screening.screen_text(" ".join(public), words), " ".join(full)


def public_words(journalpost: Journalpost, saksmappe: Saksmappe, parts: list[Korrespondansepart]) -> list[str]:
    """The words masked in a journalpost's public text: those marked skjermet on it and on its case
    and, in a screened case, its parties' names and numbers (the client's name is a marked word
    of the case's title, each part of it screened too)."""
    case_words = screening.marked_words(saksmappe.tittel, saksmappe.offentlig_tittel)
    words = case_words + screening.marked_words(journalpost.tittel, journalpost.offentlig_tittel)
    if screening.active_codes(saksmappe, today_in_oslo()):
        words += screening.party_words(case_words)
        words += screening.party_words([p.korrespondansepart_navn for p in parts],
                                       [n for p in parts for n in (p.foedselsnummer, p.organisasjonsnummer)])
    return words


# PostgreSQL (on SQLite the table is FTS5, queried with MATCH, and filters join journalpost).
_SOK = table(
    "journalpost_sok", column("journalpost_id", Uuid()), column("offentlig_tekst", Text()), column("full_tekst", Text()),
    column("offentlig_tsv", TSVECTOR()), column("full_tsv", TSVECTOR()), column("journaldato", Date()),
    column("opprettet_dato", DateTime(timezone=True)), column("journalaar", Integer()),
    column("journalstatus", String()), column("journalposttype", String()),
    column("administrativ_enhet_id", Uuid()), column("saksbehandler_id", Uuid()),
)
_SQLITE_INSERT = text(
    "INSERT INTO journalpost_sok (journalpost_id, offentlig_tekst, full_tekst) VALUES (:id, :offentlig, :full)"
).bindparams(bindparam("id", type_=Uuid()))


_SQLITE_DELETE = text("DELETE FROM journalpost_sok WHERE journalpost_id = :id").bindparams(
    bindparam("id", type_=Uuid()))


def _copies(journalpost: Journalpost) -> dict[str, object]:
    return {"journaldato": journalpost.journaldato, "opprettet_dato": journalpost.opprettet_dato,
            "journalaar": journalpost.journalaar, "journalstatus": journalpost.journalstatus,
            "journalposttype": journalpost.journalposttype,
            "administrativ_enhet_id": journalpost.administrativ_enhet_id,
            "saksbehandler_id": journalpost.saksbehandler_id}


def _postgres(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def postgres_index_row(journalpost: Journalpost, saksmappe: Saksmappe,
                       parts: list[Korrespondansepart]) -> dict[str, Any]:
    """The PostgreSQL index row of a new journalpost, for a caller that inserts it with other rows."""
    public, full = _public_and_full(journalpost, saksmappe, parts)
    # Lower-cased here: a database in the C locale does not lower-case Æ, Ø, Å itself.
    return {"journalpost_id": journalpost.system_id, "offentlig_tekst": public.lower(), "full_tekst": full.lower(),
            **_copies(journalpost)}


POSTGRES_INDEX_COLUMNS = ("journalpost_id", "offentlig_tekst", "full_tekst", "journaldato", "opprettet_dato",
                          "journalaar", "journalstatus", "journalposttype", "administrativ_enhet_id",
                          "saksbehandler_id")
"""The columns of `postgres_index_row` (the tsvector columns are generated from the texts)."""


async def index(session: AsyncSession, journalpost: Journalpost, saksmappe: Saksmappe,
                parts: list[Korrespondansepart]) -> None:
    if _postgres(session):
        await session.execute(insert(_SOK).values(**postgres_index_row(journalpost, saksmappe, parts)))
        return
    public, full = _public_and_full(journalpost, saksmappe, parts)
    await session.execute(_SQLITE_INSERT, {"id": journalpost.system_id, "offentlig": public.lower(),
                                           "full": full.lower()})


async def refresh(session: AsyncSession, journalpost: Journalpost) -> None:
    """After a change of status, unit or case handler: keep the PostgreSQL copies current."""
    if _postgres(session):
        await session.execute(update(_SOK).where(_SOK.c.journalpost_id == journalpost.system_id)
                              .values(**_copies(journalpost)))


async def remove(session: AsyncSession, journalpost_id: UUID) -> None:
    """Drop a journalpost's row before indexing it anew (after a corrected title or screening)."""
    if _postgres(session):
        await session.execute(delete(_SOK).where(_SOK.c.journalpost_id == journalpost_id))
    else:
        await session.execute(_SQLITE_DELETE, {"id": journalpost_id})


@dataclass(frozen=True)
class Filters:
    journalaar: int | None = None
    journalstatus: str | None = None
    journalposttype: str | None = None
    administrativ_enhet: UUID | None = None
    saksbehandler: UUID | None = None
    fra: date | None = None
    til: date | None = None


def terms(q: str) -> list[str]:
    """The words of a query, lower-cased (at most ten)."""
    return [w.lower() for w in _WORD.findall(q)][:10]


Page = Callable[[int, int], Awaitable[list[Any]]]
"""(offset, limit) -> rows of (journalpost, saksmappe, whether the public text matched), in order."""


def pages(session: AsyncSession, words: list[str], filters: Filters, *, newest_first: bool) -> Page:
    """The hits of `words` (from `terms`), read a page at a time."""
    if _postgres(session):
        all_hits = False

        async def postgres_page(offset: int, limit: int) -> list[Any]:
            nonlocal all_hits
            if not all_hits:
                rows = (await session.execute(_postgres_query(words, filters, newest_first, offset, limit,
                                                              window=WINDOW))).all()
                if len(rows) == limit:
                    return list(rows)
                # Fewer hits among the newest WINDOW rows than asked for: the words are rare
                # (or the window held every row), so take them all from the GIN index.
                all_hits = True
            return list((await session.execute(_postgres_query(words, filters, newest_first, offset, limit,
                                                               window=None))).all())
        return postgres_page

    sqlite_query = _sqlite_query(words, filters, newest_first)

    async def sqlite_page(offset: int, limit: int) -> list[Any]:
        return list((await session.execute(sqlite_query.offset(offset).limit(limit))).all())
    return sqlite_page


def _tsquery(terms: list[str]) -> Any:
    # A scalar subquery (an InitPlan): parsed and stemmed once per statement. As a plain
    # expression of a bind parameter, a reused (generic) plan of the prepared statement
    # evaluates it for every row the window walks — 180 ms instead of 5 ms for 10,000 rows.
    return select(func.to_tsquery(literal("norwegian", type_=REGCONFIG), " & ".join(terms))).scalar_subquery()


def _order(source: Any, newest_first: bool) -> list[Any]:
    keys = (source.c.journaldato, source.c.opprettet_dato, source.c.journalpost_id)
    return [k.desc() for k in keys] if newest_first else list(keys)


def _postgres_query(terms: list[str], f: Filters, newest_first: bool, offset: int, limit: int, *,
                    window: int | None) -> Any:
    """A page of hits with their journalposts and cases; `window`: walk at most that many rows.

    The hits come from journalpost_sok alone (its copies of the filter and sort columns), and
    with a window from the covering index alone; the records are read for the page only.
    """
    page = _postgres_hits(terms, f, newest_first, offset, limit, window=window).subquery("hits")
    sok = _SOK.alias("sok")
    return (select(Journalpost, Saksmappe, sok.c.offentlig_tsv.op("@@")(_tsquery(terms)).label("public_hit"))
            .select_from(page)
            .join(sok, sok.c.journalpost_id == page.c.journalpost_id)
            .join(Journalpost, col(Journalpost.system_id) == page.c.journalpost_id)
            .join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
            .order_by(*_order(page, newest_first)))


def _postgres_hits(terms: list[str], f: Filters, newest_first: bool, offset: int, limit: int, *,
                   window: int | None) -> Any:
    """The page's hits (journalpost_id, journaldato, opprettet_dato), sorted."""
    tsquery = _tsquery(terms)
    since, until = f.fra, f.til
    if f.journalaar is not None:
        # journalaar is the year of journaldato: a date range lets the index skip other years.
        since = max(since or date.min, date(f.journalaar, 1, 1))
        until = min(until or date.max, date(f.journalaar, 12, 31))
    dates = [c for c in ((_SOK.c.journaldato >= since) if since else None,
                         (_SOK.c.journaldato <= until) if until else None) if c is not None]

    def wanted(source: Any) -> list[Any]:
        conditions = [source.c.full_tsv.op("@@")(tsquery)]
        for name, value in (("journalaar", f.journalaar), ("journalstatus", f.journalstatus),
                            ("journalposttype", f.journalposttype), ("administrativ_enhet_id", f.administrativ_enhet),
                            ("saksbehandler_id", f.saksbehandler)):
            if value is not None:
                conditions.append(source.c[name] == value)
        return conditions

    if window is not None:
        # Only columns of ix_journalpost_sok_sortering, so PostgreSQL answers from the index.
        recent = (select(*(_SOK.c[name] for name in _COVERED)).where(*dates)
                  .order_by(*_order(_SOK, newest_first)).limit(window).subquery("recent"))
        source: Any = recent  # a subquery here, a CTE below: both have .c
        hits = select(recent.c.journalpost_id, recent.c.journaldato, recent.c.opprettet_dato).where(*wanted(recent))
    else:
        # Every hit, then sort: MATERIALIZED keeps the planner from walking the date index
        # (it would, when it overestimates how common the words are).
        every = (select(_SOK.c.journalpost_id, _SOK.c.journaldato, _SOK.c.opprettet_dato)
                 .where(*dates, *wanted(_SOK)).cte("every_hit").prefix_with("MATERIALIZED"))
        source = every
        hits = select(every.c.journalpost_id, every.c.journaldato, every.c.opprettet_dato)
    return hits.order_by(*_order(source, newest_first)).offset(offset).limit(limit)


_COVERED = ("journalpost_id", "journaldato", "opprettet_dato", "full_tsv", "journalaar", "journalstatus",
            "journalposttype", "administrativ_enhet_id", "saksbehandler_id")
"""The columns of the covering index (migration journal_0005)."""


def _sqlite_query(terms: list[str], f: Filters, newest_first: bool) -> Any:
    query = (select(Journalpost, Saksmappe)
             .join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
             .add_columns(text(
                 "journalpost.system_id IN (SELECT journalpost_id FROM journalpost_sok WHERE journalpost_sok MATCH "
                 ":public_q) AS public_hit"))
             .where(text("journalpost.system_id IN "
                         "(SELECT journalpost_id FROM journalpost_sok WHERE journalpost_sok MATCH :full_q)"))
             .params(public_q=" AND ".join(f'offentlig_tekst : "{t}"' for t in terms),
                     full_q=" AND ".join(f'full_tekst : "{t}"' for t in terms)))
    for attribute, value in ((col(Journalpost.journalaar), f.journalaar), (col(Journalpost.journalstatus), f.journalstatus),
                             (col(Journalpost.journalposttype), f.journalposttype),
                             (col(Journalpost.administrativ_enhet_id), f.administrativ_enhet),
                             (col(Journalpost.saksbehandler_id), f.saksbehandler)):
        if value is not None:
            query = query.where(attribute == value)
    if f.fra is not None:
        query = query.where(col(Journalpost.journaldato) >= f.fra)
    if f.til is not None:
        query = query.where(col(Journalpost.journaldato) <= f.til)
    # system_id last, as on PostgreSQL: pages stay stable when dates tie.
    if newest_first:
        return query.order_by(col(Journalpost.journaldato).desc(), col(Journalpost.opprettet_dato).desc(),
                              col(Journalpost.system_id).desc())
    return query.order_by(col(Journalpost.journaldato), col(Journalpost.opprettet_dato), col(Journalpost.system_id))
