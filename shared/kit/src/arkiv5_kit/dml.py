"""Write statements whose SQL differs by dialect, written once for SQLite and PostgreSQL.

`insert_ignore(table, values)` inserts the rows that do not collide with an existing key
and silently skips those that do: `INSERT ... ON CONFLICT DO NOTHING` on PostgreSQL,
`INSERT OR IGNORE ...` on SQLite. The statement is dialect-neutral until it is compiled, so
the code that builds it never asks which database it runs on:

    await session.execute(insert_ignore(Arkiv, {"system_id": ..., "tittel": ...}))
    await session.execute(insert_ignore(inbox_table, rows))     # many rows: a list of dicts
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import insert
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlalchemy.sql.elements import ClauseElement


class _IgnoreConflicts(ClauseElement):
    """The clause after VALUES that makes PostgreSQL skip a conflicting row (nothing elsewhere)."""

    __visit_name__ = "arkiv5_ignore_conflicts"
    _traverse_internals: list[Any] = []
    inherit_cache = True


@compiles(_IgnoreConflicts)
def _nothing(_element: _IgnoreConflicts, _compiler: SQLCompiler, **_kw: Any) -> str:
    return ""


@compiles(_IgnoreConflicts, "postgresql")
def _on_conflict_do_nothing(_element: _IgnoreConflicts, _compiler: SQLCompiler, **_kw: Any) -> str:
    return "ON CONFLICT DO NOTHING"


def insert_ignore(table: Any, values: Mapping[str, Any] | Sequence[Mapping[str, Any]] | None = None) -> Insert:
    """INSERT that skips rows whose key (primary or unique) already exists.

    `table` is a `Table` or a mapped class; `values` one row, a list of rows (one statement,
    many VALUES), or None to pass the rows at `session.execute(stmt, rows)`.
    """
    statement = insert(table)
    if isinstance(values, Mapping):
        statement = statement.values(dict(values))
    elif values is not None:
        statement = statement.values([dict(row) for row in values])
    statement = statement.prefix_with("OR IGNORE", dialect="sqlite")
    statement._post_values_clause = _IgnoreConflicts()
    return statement

