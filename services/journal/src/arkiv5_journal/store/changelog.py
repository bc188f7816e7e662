"""The change log (endringslogg): who changed which field of which record, when, from what to what.

A record's creation is logged field by field (old value empty), so the log holds every
value from the first version on. Rows are added to the caller's transaction: a change
that rolls back leaves no log row, and a committed change always has one.
"""

from __future__ import annotations

import functools
import os
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from pydantic.alias_generators import to_camel
from sqlalchemy import insert
from sqlalchemy.ext.asyncio import AsyncSession

from ..models import Endringslogg

_NOT_LOGGED = {"system_id", "opprettet_dato", "opprettet_av", "siste_journalpostnummer"}
_NAMES = {"mappe_id": "mappeID", "klasse_id": "klasseID"}


@functools.cache
def _noark_name(column: str) -> str:
    return _NAMES.get(column, to_camel(column.removesuffix("_id")) if column.endswith("_id") else to_camel(column))


def _text(value: Any) -> str | None:
    if value is None or value == []:
        return None
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def _ids(count: int) -> list[UUID]:
    """Random (version 4) ids for log rows, from one read of the system's random source."""
    random = os.urandom(16 * count)
    return [UUID(bytes=random[i * 16:(i + 1) * 16], version=4) for i in range(count)]


def _row(record_id: UUID, kind: str, field: str, now: datetime, who: str, old: str | None, new: str | None) -> dict[str, Any]:
    return {"referanse_arkivenhet": record_id, "arkivenhet_type": kind, "referanse_metadata": field,
            "endret_dato": now, "endret_av": who, "tidligere_verdi": old, "ny_verdi": new}


def _with_ids(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for row, row_id in zip(rows, _ids(len(rows)), strict=True):
        row["id"] = row_id
    return rows


@functools.cache
def _logged_columns(table: Any) -> tuple[tuple[str, str], ...]:
    """A table's logged columns with their Noark names: the same for every record of it."""
    return tuple((column, _noark_name(column)) for column in table.columns.keys() if column not in _NOT_LOGGED)


def creation_rows(*records: tuple[Any, str], who: str) -> list[dict[str, Any]]:
    """Log rows for the creation of each (record, kind): one per field that has a value."""
    now = datetime.now(UTC)
    rows = []
    for record, kind in records:
        record_id = record.system_id
        for column, field in _logged_columns(record.__table__):
            value = _text(getattr(record, column))
            if value is not None:
                rows.append(_row(record_id, kind, field, now, who, None, value))
    return _with_ids(rows)


async def created(session: AsyncSession, *records: tuple[Any, str], who: str) -> None:
    """Log the creation of each (record, kind), in one insert."""
    rows = creation_rows(*records, who=who)
    if rows:
        await session.execute(insert(Endringslogg.__table__), rows)  # type: ignore[attr-defined]


async def changed(
    session: AsyncSession, record: Any, kind: str, *, who: str, changes: dict[str, tuple[Any, Any]]
) -> None:
    now = datetime.now(UTC)
    rows = [_row(record.system_id, kind, field, now, who, _text(old), _text(new))
            for field, (old, new) in changes.items() if _text(old) != _text(new)]
    if rows:
        await session.execute(insert(Endringslogg.__table__), _with_ids(rows))  # type: ignore[attr-defined]
