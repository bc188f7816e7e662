"""The OData subset of the Noark 5 lists: `$filter`, `$top`, `$skip`, translated to the journal's query filter.

`$filter` is a conjunction of comparisons `<path> <op> <literal>` (op: eq ne gt lt ge le;
paths: journalstatus/kode, journalposttype/kode, journalaar, journaldato). It becomes
`repository.JournalpostFilter.conditions` — names and typed values, never SQL text. What
is not supported (or, not, functions, other paths, $orderby, $search) is refused with a
400 that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import quote, urlencode

from ..errors import UnsupportedQuery

MAX_TOP = 100
DEFAULT_TOP = 100
MAX_SKIP = 10_000_000
OPERATORS = ("eq", "ne", "gt", "lt", "ge", "le")
# The OData path → (the filter's field, the literal's kind, the operators it takes).
PATHS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "journalstatus/kode": ("journalstatus", "string", ("eq", "ne")),
    "journalposttype/kode": ("journalposttype", "string", ("eq", "ne")),
    "journalaar": ("journalaar", "number", OPERATORS),
    "journaldato": ("journaldato", "date", OPERATORS),
}
_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])|(?P<number>-?\d+)(?!\w)"
                    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/]*)|(?P<other>\S))")

Condition = tuple[str, str, Any]


@dataclass(frozen=True)
class Paging:
    top: int
    skip: int


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup or "other"
        tokens.append((kind, match.group(kind)))
        position = match.end()
    return tokens


def _literal(kind: str, token: tuple[str, str], path: str) -> Any:
    token_kind, text = token
    if kind == "string" and token_kind == "string":
        return text[1:-1].replace("''", "'")
    if kind == "number" and token_kind == "number":
        return int(text)
    if kind == "date" and token_kind in ("date", "string"):
        try:
            return date.fromisoformat(text.strip("'"))
        except ValueError:
            pass
    expected = {"string": "a quoted string", "number": "a whole number", "date": "a date (YYYY-MM-DD)"}[kind]
    raise UnsupportedQuery(f"$filter: {path} is compared with {expected}.")


def parse_filter(text: str) -> tuple[Condition, ...]:
    """`a eq 'x' and b ge 2026` → ((field, op, value), ...); 400 naming what is not supported."""
    tokens = _tokens(text)
    conditions: list[Condition] = []
    position = 0
    while True:
        if len(tokens) < position + 3:
            raise UnsupportedQuery("$filter: expected `<path> <operator> <value>`, joined by `and`.")
        (path_kind, path), (_op_kind, op), value = tokens[position:position + 3]
        if path_kind != "word" or path not in PATHS:
            if path.lower() in ("not", "contains", "startswith", "endswith", "year", "month", "day", "("):
                raise UnsupportedQuery(f"$filter: {path} is not supported; supported: comparisons joined by and.")
            raise UnsupportedQuery(f"$filter: filtering on this path is not supported; supported paths: "
                                   f"{', '.join(PATHS)}.")
        field, kind, operators = PATHS[path]
        if op not in operators:
            raise UnsupportedQuery(f"$filter: {path} takes the operators {', '.join(operators)}.")
        conditions.append((field, op, _literal(kind, value, path)))
        position += 3
        if position == len(tokens):
            return tuple(conditions)
        joiner = tokens[position][1]
        if joiner != "and":
            raise UnsupportedQuery("$filter: only `and` joins comparisons (or, not and grouping are not supported).")
        position += 1


def _whole(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise UnsupportedQuery(f"{name} must be a whole number from {low}.")
    return min(max(int(value), low), high) if name == "$top" else _bounded(name, int(value), low, high)


def _bounded(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise UnsupportedQuery(f"{name} must be from {low} to {high}.")
    return value


def paging(top: str | None, skip: str | None) -> Paging:
    """`$top` beyond 100 is served 100 at a time (server paging with `next`)."""
    return Paging(top=_whole("$top", top, DEFAULT_TOP, 1, MAX_TOP), skip=_whole("$skip", skip, 0, 0, MAX_SKIP))


def query(filter_: str | None, top: int, skip: int) -> str:
    options: dict[str, Any] = {}
    if filter_:
        options["$filter"] = filter_
    options["$top"] = top
    if skip:
        options["$skip"] = skip
    return "?" + urlencode(options, quote_via=quote, safe="$/'")
