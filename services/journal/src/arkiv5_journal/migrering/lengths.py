"""Texts against the journal's column lengths, for records built without validation."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .codes import Unmappable


def check_lengths(records: Iterable[Any]) -> None:
    """Refuse (Unmappable) a record whose text is longer than its column holds.

    Records are built with `model_construct`, which validates nothing: PostgreSQL would refuse
    the batch's INSERT (a failed import) and SQLite would store the value unchecked. The reason
    names the field and its limit, never the value.
    """
    for record in records:
        for column in record.__table__.columns:
            limit = getattr(column.type, "length", None)
            value = getattr(record, column.key, None)
            if limit is not None and isinstance(value, str) and len(value) > limit:
                raise Unmappable(f"{record.__tablename__}.{column.key} is longer than {limit} characters")
