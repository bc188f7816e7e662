"""Full-text search over titles and parties, never returning what the caller may not see.

PostgreSQL: generated `tsvector` columns (norwegian configuration) with GIN indexes;
SQLite: an FTS5 table. Both hold a public text and a full text per journalpost (see the
migration). A hit on the public text is shown to every reader (masked as the reader may
see it); a hit only on the full text is shown only to a caller the policy lets read the
screened content, so a search for a screened name finds nothing for anyone else.
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

from arkiv5_kit.auth import Principal as Caller

from . import access
from .domain import screening
from .domain.numbering import today_in_oslo
from .models import Journalpost, Korrespondansepart, Saksmappe

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_SCANNED = 5000
"""Candidates looked at per search: enough for any page a person reads."""


def _public_and_full(journalpost: Journalpost, saksmappe: Saksmappe, parts: list[Korrespondansepart]) -> tuple[str, str]:
    today = today_in_oslo()
    codes = screening.journalpost_codes(journalpost, saksmappe, today)
    public = [journalpost.offentlig_tittel, saksmappe.offentlig_tittel]
    full = [journalpost.tittel, saksmappe.tittel]
    for part in parts:
        full.append(part.korrespondansepart_navn)
        wanted = screening.SENDER_CODES if part.korrespondanseparttype in screening.SENDER_TYPES else screening.RECIPIENT_CODES
        if not screening.screens(codes, wanted) and not (codes and part.foedselsnummer):
            public.append(part.korrespondansepart_navn)
    return " ".join(public), " ".join(full)


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
    return session.bind.dialect.name == "postgresql"


async def index(session: AsyncSession, journalpost: Journalpost, saksmappe: Saksmappe,
                parts: list[Korrespondansepart]) -> None:
    public, full = _public_and_full(journalpost, saksmappe, parts)
    # Lower-cased here: a database in the C locale does not lower-case Æ, Ø, Å itself.
    if _postgres(session):
        await session.execute(insert(_SOK).values(journalpost_id=journalpost.system_id, offentlig_tekst=public.lower(),
                                                  full_tekst=full.lower(), **_copies(journalpost)))
    else:
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


def _terms(q: str) -> list[str]:
    return [w.lower() for w in _WORD.findall(q)][:10]


MayReadScreened = Callable[[AsyncSession, Caller, Journalpost, Saksmappe], Awaitable[bool]]


async def search(
    session: AsyncSession, *, caller: Caller, q: str, filters: Filters, top: int, skip: int, newest_first: bool,
    may_read_screened: MayReadScreened,
) -> tuple[list[tuple[Journalpost, Saksmappe]], set[UUID]]:
    """The page of hits the caller may see, and the ids to show masked.

    `may_read_screened` is the read check of the views (it raises when the caller may not
    read the journalpost at all).
    """
    terms = _terms(q)
    if not terms:
        return [], set()
    if _postgres(session):
        def page(offset: int, limit: int) -> Any:
            return _postgres_query(terms, filters, newest_first, offset, limit)
    else:
        sqlite_query = _sqlite_query(terms, filters, newest_first)

        def page(offset: int, limit: int) -> Any:
            return sqlite_query.offset(offset).limit(limit)

    visible: list[tuple[Journalpost, Saksmappe]] = []
    masked: set[UUID] = set()
    seen = 0
    batch = top + skip + 10  # a few spare for hits the caller may not see
    while seen < MAX_SCANNED and len(visible) < skip + top:
        rows = (await session.execute(page(seen, batch))).all()
        if not rows:
            break
        seen += len(rows)
        await access.prefetch_groups(session, saksmappe_ids={r[1].system_id for r in rows},
                                     journalpost_ids={r[0].system_id for r in rows})
        for journalpost, saksmappe, public_hit in rows:
            full = await may_read_screened(session, caller, journalpost, saksmappe)
            if not full and not public_hit:
                continue  # matched only screened words: for this caller it does not exist
            if not full:
                masked.add(journalpost.system_id)
            visible.append((journalpost, saksmappe))
    return visible[skip:skip + top], masked


def _postgres_query(terms: list[str], f: Filters, newest_first: bool, offset: int, limit: int) -> Any:
    """Hits, filtered and sorted on journalpost_sok alone; the records are joined for the page only."""
    tsquery = func.to_tsquery(literal("norwegian", type_=REGCONFIG), " & ".join(terms))
    hits = select(_SOK.c.journalpost_id, _SOK.c.offentlig_tsv.op("@@")(tsquery).label("public_hit"),
                  _SOK.c.journaldato, _SOK.c.opprettet_dato).where(_SOK.c.full_tsv.op("@@")(tsquery))
    for name, value in (("journalaar", f.journalaar), ("journalstatus", f.journalstatus),
                        ("journalposttype", f.journalposttype), ("administrativ_enhet_id", f.administrativ_enhet),
                        ("saksbehandler_id", f.saksbehandler)):
        if value is not None:
            hits = hits.where(_SOK.c[name] == value)
    if f.journalaar is not None:
        # journalaar is the year of journaldato: a date range lets the date index skip other years.
        hits = hits.where(_SOK.c.journaldato.between(date(f.journalaar, 1, 1), date(f.journalaar, 12, 31)))
    if f.fra is not None:
        hits = hits.where(_SOK.c.journaldato >= f.fra)
    if f.til is not None:
        hits = hits.where(_SOK.c.journaldato <= f.til)
    inner = (_SOK.c.journaldato.desc(), _SOK.c.opprettet_dato.desc()) if newest_first else (
        _SOK.c.journaldato, _SOK.c.opprettet_dato)
    hits_sq = hits.order_by(*inner).offset(offset).limit(limit).subquery("hits")
    order = (hits_sq.c.journaldato.desc(), hits_sq.c.opprettet_dato.desc()) if newest_first else (
        hits_sq.c.journaldato, hits_sq.c.opprettet_dato)
    return (select(Journalpost, Saksmappe, hits_sq.c.public_hit)
            .join(hits_sq, hits_sq.c.journalpost_id == Journalpost.system_id)
            .join(Saksmappe, Saksmappe.system_id == Journalpost.saksmappe_id)
            .order_by(*order))


def _sqlite_query(terms: list[str], f: Filters, newest_first: bool) -> Any:
    query = (select(Journalpost, Saksmappe)
             .join(Saksmappe, Saksmappe.system_id == Journalpost.saksmappe_id)
             .add_columns(text(
                 "journalpost.system_id IN (SELECT journalpost_id FROM journalpost_sok WHERE journalpost_sok MATCH "
                 ":public_q) AS public_hit"))
             .where(text("journalpost.system_id IN "
                         "(SELECT journalpost_id FROM journalpost_sok WHERE journalpost_sok MATCH :full_q)"))
             .params(public_q=" AND ".join(f'offentlig_tekst : "{t}"' for t in terms),
                     full_q=" AND ".join(f'full_tekst : "{t}"' for t in terms)))
    for attribute, value in ((Journalpost.journalaar, f.journalaar), (Journalpost.journalstatus, f.journalstatus),
                             (Journalpost.journalposttype, f.journalposttype),
                             (Journalpost.administrativ_enhet_id, f.administrativ_enhet),
                             (Journalpost.saksbehandler_id, f.saksbehandler)):
        if value is not None:
            query = query.where(attribute == value)
    if f.fra is not None:
        query = query.where(Journalpost.journaldato >= f.fra)
    if f.til is not None:
        query = query.where(Journalpost.journaldato <= f.til)
    if newest_first:
        return query.order_by(Journalpost.journaldato.desc(), Journalpost.opprettet_dato.desc())  # type: ignore[attr-defined]
    return query.order_by(Journalpost.journaldato, Journalpost.opprettet_dato)
