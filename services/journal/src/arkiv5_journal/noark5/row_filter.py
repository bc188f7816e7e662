"""A `$filter` with a title function under `or` or `not`: a wider query for the database, the exact filter for each row.

A title function matches the title as the caller sees it, which the database cannot
decide. Joined to the whole filter by `and`, the database narrows by the public title and
each row is checked after (`odata.title_tests`). Under `or` or `not` a narrowing by the
public title could drop a row the filter selects (or, under `not`, keep one it drops), so
there the database gets a wider filter — each such title function replaced by what cannot
narrow: true where it counts for the row, false under a `not` — and every row is then
decided by the whole filter: its comparisons on the record's own values, each title
function true only where both the public title and the title as shown hold the text (as
the narrowing and the check do at the top level). Comparisons with a missing value are
unknown, as in SQL: a row is kept only where the filter is true.
"""

from __future__ import annotations

import operator
from datetime import UTC, datetime
from typing import Any

from .odata import PUBLIC_TITLE, Node

_COMPARE = {"eq": operator.eq, "ne": operator.ne, "gt": operator.gt, "lt": operator.lt, "ge": operator.ge,
            "le": operator.le}
_TITLE = {"contains": lambda title, text: text in title, "startswith": str.startswith, "endswith": str.endswith}
_PARTS = ("_year", "_month", "_day")


def is_nested(conditions: tuple[Node, ...]) -> bool:
    """Whether a title function stands under `or` or `not` (the top level's `and` excepted)."""
    def below(node: Node, top: bool) -> bool:
        if node[0] == "and":
            return any(below(part, top) for part in node[1])
        if node[0] == "or":
            return any(below(part, False) for part in node[1])
        if node[0] == "not":
            return below(node[1], False)
        return node[0] == PUBLIC_TITLE and not top
    return any(below(node, True) for node in conditions)


def widened(conditions: tuple[Node, ...]) -> tuple[Node, ...]:
    """The filter for the database: a title function under `or`/`not` replaced by what cannot narrow."""
    def widen(node: Node, top: bool, negated: bool) -> Node:
        if node[0] in ("and", "or"):
            return (node[0], tuple(widen(part, top and node[0] == "and", negated) for part in node[1]))
        if node[0] == "not":
            return ("not", widen(node[1], False, not negated))
        if node[0] == PUBLIC_TITLE and not top:
            return ("constant", not negated)
        return node
    return tuple(widen(node, True, False) for node in conditions)


def holds(conditions: tuple[Node, ...], record: Any, shown_title: str) -> bool:
    """Whether the record, its title as the caller sees it, passes the whole filter."""
    return all(_value(node, record, shown_title) is True for node in conditions)


def _value(node: Node, record: Any, shown_title: str) -> bool | None:
    if node[0] in ("and", "or"):
        values = [_value(part, record, shown_title) for part in node[1]]
        decided = False if node[0] == "and" else True
        if decided in values:
            return decided
        return None if None in values else not decided
    if node[0] == "not":
        inner = _value(node[1], record, shown_title)
        return None if inner is None else not inner
    if node[0] == "constant":
        return bool(node[1])
    field, op, expected = node
    if field == PUBLIC_TITLE:
        return _TITLE[op](record.offentlig_tittel, expected) and _TITLE[op](shown_title, expected)
    actual = _field(record, field)
    if actual is None:
        return None
    if isinstance(actual, datetime) and actual.tzinfo is None:
        actual = actual.replace(tzinfo=UTC)  # SQLite gives back the stored UTC time without its zone
    return bool(_COMPARE[op](actual, expected))


def _field(record: Any, field: str) -> Any:
    for part in _PARTS:
        if field.endswith(part):
            day = getattr(record, field.removesuffix(part))
            return None if day is None else getattr(day, part[1:])
    return getattr(record, field)
