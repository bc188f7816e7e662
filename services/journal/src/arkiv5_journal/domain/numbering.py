"""Gapless number series per year: saksnummer and journalnummer.

One row per (series, year) holds the last number given. Taking a number is a single
upsert that increments the row and returns the new value; the row stays locked until the
registering transaction ends, so a concurrent registration waits, and a rollback returns
the number. That makes the series unique and without gaps on PostgreSQL (row lock) and on
SQLite (whose writers the kit serialises with BEGIN IMMEDIATE). Take numbers as late as
possible in a transaction: the lock is held until commit.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

OSLO = ZoneInfo("Europe/Oslo")

SAKSNUMMER = "saksnummer"
JOURNALNUMMER = "journalnummer"

_NEXT = text(
    "INSERT INTO nummerserie (serie, aar, sist_tildelt) VALUES (:serie, :aar, 1) "
    "ON CONFLICT (serie, aar) DO UPDATE SET sist_tildelt = nummerserie.sist_tildelt + 1 "
    "RETURNING sist_tildelt"
)


def today_in_oslo(now: datetime | None = None) -> date:
    """The Norwegian date now: a registration at 00:30 on 1 January belongs to the new year."""
    return (now or datetime.now(OSLO)).astimezone(OSLO).date()


async def next_number(session: AsyncSession, *, serie: str, aar: int) -> int:
    result = await session.execute(_NEXT, {"serie": serie, "aar": aar})
    return int(result.scalar_one())


# On PostgreSQL one round trip takes the number, puts it on the journalpost and logs it, so
# the series row is locked for as short a time as possible: the rest of the registration
# (journalpost, parties, change log) is written before, and only the outbox row and the
# commit follow.
_ASSIGN_PG = text(
    "WITH n AS (INSERT INTO nummerserie (serie, aar, sist_tildelt) VALUES (:serie, :aar, 1) "
    "ON CONFLICT (serie, aar) DO UPDATE SET sist_tildelt = nummerserie.sist_tildelt + 1 RETURNING sist_tildelt), "
    "u AS (UPDATE journalpost SET journalsekvensnummer = n.sist_tildelt FROM n "
    "WHERE journalpost.system_id = :journalpost_id RETURNING n.sist_tildelt AS nummer) "
    "INSERT INTO endringslogg (id, referanse_arkivenhet, arkivenhet_type, referanse_metadata, endret_dato, "
    "endret_av, tidligere_verdi, ny_verdi) "
    "SELECT :log_id, :journalpost_id, 'journalpost', 'journalsekvensnummer', :now, :who, NULL, "
    "CAST(u.nummer AS TEXT) FROM u RETURNING ny_verdi"
)
# Typed parameters: the Uuid type stores ids as 32 hex digits on SQLite and as uuid on PostgreSQL.
_TYPED = (bindparam("journalpost_id", type_=Uuid()), bindparam("log_id", type_=Uuid()),
          bindparam("now", type_=DateTime(timezone=True)))
_ASSIGN_PG = _ASSIGN_PG.bindparams(*_TYPED)
_SET_SQLITE = text("UPDATE journalpost SET journalsekvensnummer = :nummer WHERE system_id = :journalpost_id"
).bindparams(_TYPED[0])
_LOG_SQLITE = text(
    "INSERT INTO endringslogg (id, referanse_arkivenhet, arkivenhet_type, referanse_metadata, endret_dato, "
    "endret_av, tidligere_verdi, ny_verdi) VALUES (:log_id, :journalpost_id, 'journalpost', "
    "'journalsekvensnummer', :now, :who, NULL, :nummer)"
).bindparams(*_TYPED)


async def assign_journalsekvensnummer(
    session: AsyncSession, *, journalpost_id: UUID, aar: int, who: str
) -> int:
    """Give the (already inserted) journalpost its journal number; call last in the transaction."""
    params = {"serie": JOURNALNUMMER, "aar": aar, "journalpost_id": journalpost_id, "log_id": uuid4(),
              "now": datetime.now(UTC), "who": who}
    if session.bind.dialect.name == "postgresql":
        return int((await session.execute(_ASSIGN_PG, params)).scalar_one())
    nummer = await next_number(session, serie=JOURNALNUMMER, aar=aar)
    await session.execute(_SET_SQLITE, {"nummer": nummer, "journalpost_id": journalpost_id})
    await session.execute(_LOG_SQLITE, {**params, "nummer": str(nummer)})
    return nummer
