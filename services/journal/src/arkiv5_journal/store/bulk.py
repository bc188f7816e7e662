"""The bulk writer: every row of a registration, and its events, in as few statements as the database allows.

On PostgreSQL one statement writes everything (data-modifying CTEs, each table's rows as one
JSON parameter); SQLite has no INSERT in a CTE and takes one statement per table. It stands
alone — records in, rows out, no rules — so the registration use case and a migration
import of records from an older system write the same way.
"""

from __future__ import annotations

import functools
from typing import Any

from pydantic_core import to_json
from sqlalchemy import Table, insert, text
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Dokumentbeskrivelse, Dokumentobjekt, Endringslogg, Fordeling, Journalpost, Korrespondansepart
from .search import POSTGRES_INDEX_COLUMNS


def table_of(model: Any) -> Table:
    """The table of a model class (SQLModel's metaclass hides `__table__` from the type checker)."""
    table: Table = model.__table__
    return table


TABLES = (Journalpost, Korrespondansepart, Fordeling, Dokumentbeskrivelse, Dokumentobjekt, Endringslogg)
"""Every table the writer fills, parents first."""


@functools.cache
def _column_names(table: Table) -> tuple[str, ...]:
    return tuple(table.columns.keys())


def values(record: Any) -> dict[str, Any]:
    """A record's column values, as the writer takes them."""
    return {name: getattr(record, name) for name in _column_names(record.__table__)}


@functools.cache
def _postgres_insert() -> Any:
    """One statement that writes every row of a registration and its events, each table's rows as one JSON array.

    Data-modifying CTEs send everything in one round trip (the foreign keys are checked at
    the end of the statement, when every row is in), and since the rows travel as one
    parameter per table the statement has the same text for any number of rows: compiled
    once, prepared once per connection. The events keep their order (outbox ids are the
    publishing order).
    """
    targets = [(table_of(model).name, list(table_of(model).columns.keys())) for model in TABLES]
    targets.append(("journalpost_sok", list(POSTGRES_INDEX_COLUMNS)))
    ctes = [f"insert_{name} AS (INSERT INTO {name} ({', '.join(columns)}) SELECT {', '.join(columns)} "
            f"FROM jsonb_populate_recordset(NULL::{name}, CAST(:{name} AS jsonb)))" for name, columns in targets]
    ctes.append(
        "insert_outbox AS (INSERT INTO outbox (event_id, topic, message_key, event_type, headers, payload, created_at) "
        "SELECT CAST(e.row->>'event_id' AS uuid), e.row->>'topic', e.row->>'message_key', e.row->>'event_type', "
        "CAST(e.row->'headers' AS json), e.row->>'payload', CAST(e.row->>'created_at' AS timestamptz) "
        "FROM jsonb_array_elements(CAST(:outbox AS jsonb)) WITH ORDINALITY AS e(row, position) ORDER BY e.position)")
    return text("WITH " + ", ".join(ctes) + " SELECT 1")


async def write_postgres(session: AsyncSession, rows: dict[Any, list[dict[str, Any]]], index: list[dict[str, Any]],
                         events: list[dict[str, Any]]) -> None:
    """Rows per model, search-index rows and outbox rows, in one statement."""
    parameters = {table_of(model).name: to_json(rows.get(model, [])).decode()
                  for model in TABLES}
    parameters["journalpost_sok"] = to_json(index).decode()
    parameters["outbox"] = to_json(events).decode()
    await session.execute(_postgres_insert(), parameters)


async def write_sqlite(session: AsyncSession, rows: dict[Any, list[dict[str, Any]]]) -> None:
    """SQLite has no INSERT in a CTE: one statement per table, parents first."""
    for model in TABLES:
        if rows.get(model):
            await session.execute(insert(table_of(model)), rows[model])
