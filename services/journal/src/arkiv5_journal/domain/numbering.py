"""Gapless number series per year: saksnummer and journalnummer.

One row per (series, year) holds the last number given. Taking a number is a single
upsert that increments the row and returns the new value; the row stays locked until the
registering transaction ends, so a concurrent registration waits, and a rollback returns
the number. That makes the series unique and without gaps on PostgreSQL (row lock) and on
SQLite (whose writers the kit serialises with BEGIN IMMEDIATE). Take numbers as late as
possible in a transaction: the lock is held until commit.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from pydantic_core import to_json
from sqlalchemy import DateTime, Uuid, bindparam, text
from sqlalchemy.ext.asyncio import AsyncSession

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


# On PostgreSQL one statement takes the number, puts it on the journalpost, logs it and
# writes the registration's events, so the series row is locked for that statement and the
# commit only: everything else of the registration is written before. The number is known
# only inside the statement, so there it is also set into every event payload that has a
# top-level "journalsekvensnummer" (the events are built with a placeholder).
_ASSIGN_PG = text(
    "WITH n AS (INSERT INTO nummerserie (serie, aar, sist_tildelt) VALUES (:serie, :aar, 1) "
    "ON CONFLICT (serie, aar) DO UPDATE SET sist_tildelt = nummerserie.sist_tildelt + 1 RETURNING sist_tildelt), "
    "u AS (UPDATE journalpost SET journalsekvensnummer = n.sist_tildelt FROM n "
    "WHERE journalpost.system_id = :journalpost_id RETURNING n.sist_tildelt AS nummer), "
    "l AS (INSERT INTO endringslogg (id, referanse_arkivenhet, arkivenhet_type, referanse_metadata, endret_dato, "
    "endret_av, tidligere_verdi, ny_verdi) "
    "SELECT :log_id, :journalpost_id, 'journalpost', 'journalsekvensnummer', :now, :who, NULL, "
    "CAST(u.nummer AS TEXT) FROM u), "
    "o AS (INSERT INTO outbox (event_id, topic, message_key, event_type, headers, payload, created_at) "
    "SELECT CAST(e.row->>'event_id' AS uuid), e.row->>'topic', e.row->>'message_key', e.row->>'event_type', "
    "CAST(e.row->'headers' AS json), "
    "CASE WHEN CAST(e.row->>'payload' AS jsonb) ? 'journalsekvensnummer' "
    "THEN CAST(jsonb_set(CAST(e.row->>'payload' AS jsonb), '{journalsekvensnummer}', to_jsonb(u.nummer)) AS text) "
    "ELSE e.row->>'payload' END, CAST(e.row->>'created_at' AS timestamptz) "
    "FROM u, jsonb_array_elements(CAST(:events AS jsonb)) WITH ORDINALITY AS e(row, position) "
    "ORDER BY e.position) "  # outbox ids, hence publishing order, follow the list
    "SELECT nummer FROM u"
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

PLACEHOLDER = 1
"""The journalsekvensnummer to build events with before the number is taken."""


async def assign_journalsekvensnummer(
    session: AsyncSession, *, journalpost_id: UUID, aar: int, who: str, outbox: Outbox,
    events: Callable[[int], list[EventData]],
) -> int:
    """Give the (already inserted) journalpost its journal number and publish `events(number)`.

    Call last in the transaction: the series row stays locked until the commit.
    """
    params = {"serie": JOURNALNUMMER, "aar": aar, "journalpost_id": journalpost_id, "log_id": uuid4(),
              "now": datetime.now(UTC), "who": who}
    if session.bind.dialect.name == "postgresql":
        rows = outbox.rows(session, events(PLACEHOLDER))
        return int((await session.execute(_ASSIGN_PG, {**params, "events": to_json(rows).decode()})).scalar_one())
    nummer = await next_number(session, serie=JOURNALNUMMER, aar=aar)
    await session.execute(_SET_SQLITE, {"nummer": nummer, "journalpost_id": journalpost_id})
    await session.execute(_LOG_SQLITE, {**params, "nummer": str(nummer)})
    await outbox.add_many(session, events(nummer))
    return nummer
