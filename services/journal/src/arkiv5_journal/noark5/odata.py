"""The OData subset of the Noark 5 lists: `$filter`, `$orderby`, `$top`, `$skip`, translated to the journal's query filter.

`$filter` holds comparisons `<path> <op> <literal>` (op: eq ne gt lt ge le; paths:
journalstatus/kode, journalposttype/kode, journalaar, journaldato, year(journaldato),
month(journaldato), day(journaldato)) joined by and, or, not and parentheses, and
contains(tittel,'…'), startswith(tittel,'…') and endswith(tittel,'…') joined by and. It becomes `repository.JournalpostFilter.conditions` — a tree of names
and typed values, never SQL text. `$orderby` sorts by journaldato, journalaar or
journalsekvensnummer. What is not supported (functions, other paths, $search) is refused
with a 400 that names it.
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
MAX_NESTING = 20
OPERATORS = ("eq", "ne", "gt", "lt", "ge", "le")
# The OData path → (the filter's field, the literal's kind, the operators it takes).
PATHS: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "journalstatus/kode": ("journalstatus", "string", ("eq", "ne")),
    "journalposttype/kode": ("journalposttype", "string", ("eq", "ne")),
    "journalaar": ("journalaar", "number", OPERATORS),
    "journaldato": ("journaldato", "date", OPERATORS),
}
# contains/startswith on the title. The database narrows by the public title (screened words
# already replaced, so hidden words cannot match); the rows are then checked against the
# title as `visibility` renders it for the caller (`title_tests`), which also masks what the
# public title alone does not. Both are exact only for a match that must hold, so the
# functions are allowed where they narrow the whole filter: joined to it by `and`, not under
# `or` or `not` (a case-insensitive LIKE of one database must not widen a `not`).
TITLE_FUNCTIONS = ("contains", "startswith", "endswith")
# month(journaldato) and day(journaldato): the filter's fields of the date's month and day, with their range.
DATE_PARTS = {"month": ("journaldato_month", 12), "day": ("journaldato_day", 31)}
# year(journaldato) eq/ne: the filter's field of the date's year.
YEAR = "journaldato_year"
PUBLIC_TITLE = "offentlig_tittel"
_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])|(?P<number>-?\d+)(?!\w)"
                    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/]*)|(?P<other>\S))")

# A comparison (field, op, value), or ("and"|"or", parts), or ("not", part).
Node = tuple[Any, ...]


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


class _Parser:
    """Recursive descent over the tokens: or binds loosest, then and, then not; parentheses group."""

    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.position = 0
        self.depth = 0

    def peek(self) -> str | None:
        return self.tokens[self.position][1] if self.position < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        if self.position >= len(self.tokens):
            raise UnsupportedQuery("$filter ends too early: expected `<path> <operator> <value>`.")
        token = self.tokens[self.position]
        self.position += 1
        return token

    def expression(self) -> Node:
        parts = [self.conjunction()]
        while self.peek() == "or":
            self.take()
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else ("or", tuple(parts))

    def conjunction(self) -> Node:
        parts = [self.factor()]
        while self.peek() == "and":
            self.take()
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else ("and", tuple(parts))

    def factor(self) -> Node:
        self.depth += 1
        if self.depth > MAX_NESTING:
            raise UnsupportedQuery(f"$filter: nested deeper than {MAX_NESTING} (not and parentheses).")
        try:
            return self._factor()
        finally:
            self.depth -= 1

    def _factor(self) -> Node:
        if self.peek() == "not":
            self.take()
            return ("not", self.factor())
        if self.peek() == "(":
            self.take()
            inner = self.expression()
            if self.take()[1] != ")":
                raise UnsupportedQuery("$filter: a parenthesis is not closed.")
            return inner
        return self.comparison()

    def comparison(self) -> Node:
        path_kind, path = self.take()
        if path == "year" and self.peek() == "(":
            return self.year()
        if path in DATE_PARTS and self.peek() == "(":
            return self.date_part(path)
        if path in TITLE_FUNCTIONS and self.peek() == "(":
            return self.title_function(path)
        if path_kind == "word" and self.peek() == "(":
            raise UnsupportedQuery(f"$filter: the function {path}() is not supported; supported: comparisons "
                                   "joined by and, or, not and parentheses.")
        if path_kind != "word" or path not in PATHS:
            raise UnsupportedQuery(f"$filter: filtering on this path is not supported; supported paths: "
                                   f"{', '.join(PATHS)}.")
        field, kind, operators = PATHS[path]
        op = self.take()[1]
        if op not in operators:
            raise UnsupportedQuery(f"$filter: {path} takes the operators {', '.join(operators)}.")
        return (field, op, _literal(kind, self.take(), path))


    def title_function(self, function: str) -> Node:
        """`contains(tittel,'garasje')`, `startswith(tittel,'Søknad')`, `endswith(tittel,'3')`: matched against the title as
        the caller may see it (see `title_tests`)."""
        self.take()
        if (self.take()[1], self.take()[1]) != ("tittel", ","):
            raise UnsupportedQuery(f"$filter: {function}() takes tittel and a quoted string.")
        value = _literal("string", self.take(), f"{function}(tittel)")
        if self.take()[1] != ")":
            raise UnsupportedQuery(f"$filter: {function}() takes tittel and a quoted string.")
        if not value:
            raise UnsupportedQuery(f"$filter: {function}(tittel) needs a text to look for.")
        return (PUBLIC_TITLE, function, value)

    def date_part(self, function: str) -> Node:
        """`month(journaldato) eq 11`, `day(journaldato) le 15`: the journaldato's month or day of the month."""
        field, highest = DATE_PARTS[function]
        self.take()
        if (self.take()[1], self.take()[1]) != ("journaldato", ")"):
            raise UnsupportedQuery(f"$filter: {function}() takes journaldato.")
        op = self.take()[1]
        if op not in OPERATORS:
            raise UnsupportedQuery(f"$filter: {function}(journaldato) takes the operators {', '.join(OPERATORS)}.")
        value = _literal("number", self.take(), f"{function}(journaldato)")
        if not 1 <= value <= highest:
            raise UnsupportedQuery(f"$filter: {function}(journaldato) is compared with a number from 1 to {highest}.")
        return (field, op, value)

    def year(self) -> Node:
        """`year(journaldato) eq 2026` (and ne) as the journaldato's year, the others as comparisons of
        journaldato with the year's first and last day.

        eq and ne compare the year itself: on PostgreSQL an index on (the year, the journal
        number) answers a year's newest journalposts in the list's order (journal_0014),
        where a date range had to be sorted or the whole journal walked (over 300 ms at
        1,000,000 journalposts, bench/bench_noark5_search.py). The ranges serve gt, ge, lt, le.
        """
        self.take()
        if (self.take()[1], self.take()[1]) != ("journaldato", ")"):
            raise UnsupportedQuery("$filter: year() takes journaldato.")
        op = self.take()[1]
        if op not in OPERATORS:
            raise UnsupportedQuery(f"$filter: year(journaldato) takes the operators {', '.join(OPERATORS)}.")
        year = _literal("number", self.take(), "year(journaldato)")
        if not 1 <= year <= 9999:
            raise UnsupportedQuery("$filter: year(journaldato) is compared with a year from 1 to 9999.")
        if op in ("eq", "ne"):
            return (YEAR, op, year)
        first, last = date(year, 1, 1), date(year, 12, 31)
        return {"gt": ("journaldato", "gt", last),
                "ge": ("journaldato", "ge", first), "lt": ("journaldato", "lt", first),
                "le": ("journaldato", "le", last)}[op]


def parse_filter(text: str) -> tuple[Node, ...]:
    """`a eq 'x' and (b ge 2026 or not c eq 'y')` → a tree of (field, op, value) comparisons under
    ("and"|"or", parts) and ("not", part); 400 naming what is not supported."""
    parser = _Parser(_tokens(text))
    tree = parser.expression()
    if parser.peek() is not None:
        raise UnsupportedQuery("$filter: comparisons are joined by and or or; something else follows one.")
    _refuse_title_functions_below(tree, top_level=True)
    return (tree,)


def _refuse_title_functions_below(node: Node, *, top_level: bool) -> None:
    if node[0] == "and" and top_level:
        for part in node[1]:
            _refuse_title_functions_below(part, top_level=True)
    elif node[0] in ("and", "or"):
        for part in node[1]:
            _refuse_title_functions_below(part, top_level=False)
    elif node[0] == "not":
        _refuse_title_functions_below(node[1], top_level=False)
    elif node[0] == PUBLIC_TITLE and not top_level:
        raise UnsupportedQuery(f"$filter: {node[1]}(tittel) is supported joined to the rest by and, "
                               "not under or or not.")


def title_tests(conditions: tuple[Node, ...]) -> list[tuple[str, str]]:
    """The title functions of a parsed filter as (function, text), all of which must hold."""
    tests: list[tuple[str, str]] = []
    for node in conditions:
        if node[0] == "and":
            tests += title_tests(node[1])
        elif node[0] == PUBLIC_TITLE:
            tests.append((node[1], node[2]))
    return tests


def title_matches(tittel: str, tests: list[tuple[str, str]]) -> bool:
    """Whether the title as the caller sees it passes every test (case-sensitive, as OData's functions)."""
    checks = {"contains": lambda text: text in tittel, "startswith": tittel.startswith, "endswith": tittel.endswith}
    return all(checks[function](text) for function, text in tests)


def _whole(name: str, value: str | None, default: int, low: int, high: int) -> int:
    if value is None:
        return default
    if not value.isdigit():
        raise UnsupportedQuery(f"{name} must be a whole number from {low}.")
    return _bounded(name, int(value), low, high)


def _bounded(name: str, value: int, low: int, high: int) -> int:
    if not low <= value <= high:
        raise UnsupportedQuery(f"{name} must be from {low} to {high}.")
    return value


def paging(top: str | None, skip: str | None) -> Paging:
    """`$top` is at most 100 a page (more is a 400 naming the limit: a client that asked for
    more and silently got fewer could take a page for the whole list); `next` pages on."""
    return Paging(top=_whole("$top", top, DEFAULT_TOP, 1, MAX_TOP), skip=_whole("$skip", skip, 0, 0, MAX_SKIP))


def page_only(query_params: Any, top: str | None, skip: str | None) -> Paging:
    """Paging of a list that takes only `$top` and `$skip` (any other option is a 400 naming it)."""
    unknown = sorted(name for name in query_params if name not in ("$top", "$skip"))
    if unknown:
        raise UnsupportedQuery(f"Query option {unknown[0]} is not supported on this list; supported: $top, $skip.")
    return paging(top, skip)


ORDERABLE = ("journaldato", "journalaar", "journalsekvensnummer")


def parse_orderby(text: str) -> tuple[tuple[str, bool], ...]:
    """`journaldato desc, journalsekvensnummer` → ((field, descending), ...); 400 for another field."""
    keys = []
    for item in text.split(","):
        field, *direction = item.split()
        if field not in ORDERABLE or direction not in ([], ["asc"], ["desc"]):
            raise UnsupportedQuery(f"$orderby takes {', '.join(ORDERABLE)}, each optionally asc or desc, "
                                   "separated by commas.")
        keys.append((field, direction == ["desc"]))
    return tuple(keys)


def query(filter_: str | None, top: int, skip: int, orderby: str | None = None) -> str:
    options: dict[str, Any] = {}
    if filter_:
        options["$filter"] = filter_
    if orderby:
        options["$orderby"] = orderby
    options["$top"] = top
    if skip:
        options["$skip"] = skip
    return "?" + urlencode(options, quote_via=quote, safe="$/'")
