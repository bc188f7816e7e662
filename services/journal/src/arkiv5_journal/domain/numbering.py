"""Gapless number series per year: saksnummer and journalnummer.

One row per (series, year) holds the last number given. Taking a number is a single
upsert that increments the row and returns the new value; the row stays locked until the
registering transaction ends, so a concurrent registration waits, and a rollback returns
the number. That makes the series unique and without gaps on PostgreSQL (row lock) and on
SQLite (whose writers the kit serialises with BEGIN IMMEDIATE). Take numbers as late as
possible in a transaction: the lock is held until commit. The journal number, which every
registration takes, is on PostgreSQL taken inside the COMMIT itself (see below).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from sqlalchemy import DateTime, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from arkiv5_contracts.envelope import EventData
from arkiv5_kit.outbox import Outbox

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


# On PostgreSQL the journal number is taken inside the COMMIT by a deferred trigger
# (migration journal_0006), so the series row is locked only while the commit runs. The
# registration builds its events with a placeholder number, which the trigger replaces, and
# reads the number back after the commit. On SQLite the registration takes it itself, last.
PLACEHOLDER = 1
"""The journalsekvensnummer events are built with before the number is known (PostgreSQL)."""

# Typed parameters: the Uuid type stores ids as 32 hex digits on SQLite and as uuid on PostgreSQL.
_TYPED = (bindparam("journalpost_id", type_=Uuid()), bindparam("log_id", type_=Uuid()),
          bindparam("now", type_=DateTime(timezone=True)))
_SET_SQLITE = text("UPDATE journalpost SET journalsekvensnummer = :nummer WHERE system_id = :journalpost_id"
).bindparams(_TYPED[0])
_LOG_SQLITE = text(
    "INSERT INTO endringslogg (id, referanse_arkivenhet, arkivenhet_type, referanse_metadata, endret_dato, "
    "endret_av, tidligere_verdi, ny_verdi) VALUES (:log_id, :journalpost_id, 'journalpost', "
    "'journalsekvensnummer', :now, :who, NULL, :nummer)"
).bindparams(*_TYPED)


def taken_at_commit(session: AsyncSession) -> bool:
    """Whether the database gives journal numbers at commit (PostgreSQL) rather than the caller."""
    return session.get_bind().dialect.name == "postgresql"


async def assign_journalsekvensnummer(
    session: AsyncSession, *, journalpost_id: UUID, aar: int, who: str, outbox: Outbox,
    events: Callable[[int], list[EventData]],
) -> int:
    """Where numbers are not taken at commit: give the inserted journalpost its number now, log
    it and publish `events(number)`. Call last in the transaction (the series row stays locked)."""
    nummer = await next_number(session, serie=JOURNALNUMMER, aar=aar)
    await session.execute(_SET_SQLITE, {"nummer": nummer, "journalpost_id": journalpost_id})
    await session.execute(_LOG_SQLITE, {"log_id": uuid4(), "journalpost_id": journalpost_id, "now": datetime.now(UTC),
                                        "who": who, "nummer": str(nummer)})
    await outbox.add_many(session, events(nummer))
    return nummer


_COMMITTED_NUMBER = "SELECT journalsekvensnummer FROM journalpost WHERE system_id = $1"


async def committed_journalsekvensnummer(engine: AsyncEngine, journalpost_id: UUID) -> int:
    """The number the commit gave (PostgreSQL): one statement on a pooled connection, no transaction."""
    async with engine.connect() as connection:
        raw = await connection.get_raw_connection()
        nummer = await raw.driver_connection.fetchval(_COMMITTED_NUMBER, journalpost_id)  # type: ignore[union-attr]
    if nummer is None:
        raise RuntimeError("a committed journalpost has no journalsekvensnummer")
    return int(nummer)


def journalsekvensnummer_of(journalpost: Any) -> int:
    """The journal number of a registered journalpost: every committed one has it (only the write in flight has not)."""
    nummer: int | None = journalpost.journalsekvensnummer
    if nummer is None:
        raise RuntimeError("a registered journalpost has no journalsekvensnummer yet")
    return nummer
