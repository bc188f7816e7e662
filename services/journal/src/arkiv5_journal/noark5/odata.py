"""The OData subset of the Noark 5 lists: `$filter`, `$orderby`, `$top`, `$skip`, translated to the journal's query filters.

`$filter` holds comparisons `<path> <op> <literal>` (op: eq ne gt lt ge le) joined by and,
or, not and parentheses, year()/month()/day() of a date, and contains(tittel,'…'),
startswith(tittel,'…') and endswith(tittel,'…') joined by and. Which paths a list takes is
its `Vocabulary` (the journalpost list's `JOURNALPOST`, the case list's `SAKSMAPPE`). A
filter becomes the conditions of `repository.JournalpostFilter` or `SaksmappeFilter` — a
tree of names and typed values, never SQL text. What is not supported (functions, other
paths) is refused with a 400 that names it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from ..errors import UnsupportedQuery

MAX_TOP = 100
DEFAULT_TOP = 100
MAX_SKIP = 10_000_000
MAX_NESTING = 20
OPERATORS = ("eq", "ne", "gt", "lt", "ge", "le")
# contains/startswith on the title. Joined to the whole filter by `and`, the database narrows
# by the public title (screened words already replaced, so hidden words cannot match); the
# rows are then checked against the title as `visibility` renders it for the caller
# (`title_tests`), which also masks what the public title alone does not. Under `or` or
# `not` the database gets a wider filter and each row is decided whole (`row_filter`).
TITLE_FUNCTIONS = ("contains", "startswith", "endswith")
# month() and day() of a date path: the filter's fields `<date>_month` and `<date>_day`, with their range.
DATE_PARTS = {"month": ("month", 12), "day": ("day", 31)}
PUBLIC_TITLE = "offentlig_tittel"
_TOKEN = re.compile(r"\s*(?:(?P<string>'(?:[^']|'')*')|(?P<date>\d{4}-\d{2}-\d{2})(?![\w:])|(?P<number>-?\d+)(?!\w)"
                    r"|(?P<word>[A-Za-z_][A-Za-z0-9_/]*)|(?P<other>\S))")

# A comparison (field, op, value), or ("and"|"or", parts), or ("not", part).
Node = tuple[Any, ...]


@dataclass(frozen=True)
class Vocabulary:
    """What one list's `$filter` and `$orderby` take.

    `paths`: OData path → (the filter's field, the literal's kind, the operators it takes).
    `dates`: the date paths year()/month()/day() take → the filter's field; `indexed_years`:
    those whose year eq/ne is the field `<field>_year` (an index on the year answers it), the
    others' years become date ranges. `instants`: timestamp paths compared with a date
    (the day in Oslo). `orderable`: `$orderby` path → the filter's sort key.
    """

    paths: dict[str, tuple[str, str, tuple[str, ...]]]
    dates: dict[str, str]
    indexed_years: frozenset[str]
    instants: dict[str, str]
    orderable: dict[str, str]


JOURNALPOST = Vocabulary(
    paths={"journalstatus/kode": ("journalstatus", "string", ("eq", "ne")),
           "journalposttype/kode": ("journalposttype", "string", ("eq", "ne")),
           "journalaar": ("journalaar", "number", OPERATORS),
           "journaldato": ("journaldato", "date", OPERATORS)},
    # year(journaldato) eq/ne: journal_0014's index on the year (see `_Parser.year`).
    dates={"journaldato": "journaldato"}, indexed_years=frozenset({"journaldato"}), instants={},
    orderable={"journaldato": "journaldato", "journalaar": "journalaar",
               "journalsekvensnummer": "journalsekvensnummer"})
SAKSMAPPE = Vocabulary(
    paths={"saksaar": ("saksaar", "number", OPERATORS),
           "sakssekvensnummer": ("sakssekvensnummer", "number", OPERATORS),
           "saksdato": ("saksdato", "date", OPERATORS),
           "mappeID": ("mappe_id", "string", ("eq", "ne")),
           "saksstatus/kode": ("saksstatus", "string", ("eq", "ne")),
           "administrativEnhet": ("administrativ_enhet_id", "uuid", ("eq", "ne")),
           "saksansvarlig": ("saksansvarlig_id", "uuid", ("eq", "ne")),
           "systemID": ("system_id", "uuid", ("eq", "ne"))},
    dates={"saksdato": "saksdato"}, indexed_years=frozenset(),
    instants={"opprettetDato": "opprettet_dato"},
    orderable={"saksdato": "saksdato", "saksaar": "saksaar", "sakssekvensnummer": "sakssekvensnummer",
               "opprettetDato": "opprettet_dato"})
# The name the journalpost list's docs and tests used for the paths.
PATHS = JOURNALPOST.paths
OSLO = ZoneInfo("Europe/Oslo")


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
    if kind == "uuid" and token_kind == "string":
        try:
            return UUID(text[1:-1])
        except ValueError:
            pass
    expected = {"string": "a quoted string", "number": "a whole number", "date": "a date (YYYY-MM-DD)",
                "uuid": "a quoted systemID"}[kind]
    raise UnsupportedQuery(f"$filter: {path} is compared with {expected}.")


class _Parser:
    """Recursive descent over the tokens: or binds loosest, then and, then not; parentheses group."""

    def __init__(self, tokens: list[tuple[str, str]], vocabulary: Vocabulary) -> None:
        self.tokens = tokens
        self.vocabulary = vocabulary
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
        if path in ("year", *DATE_PARTS) and self.peek() == "(":
            return self.date_function(path)
        if path in TITLE_FUNCTIONS and self.peek() == "(":
            return self.title_function(path)
        if path_kind == "word" and self.peek() == "(":
            raise UnsupportedQuery(f"$filter: the function {path}() is not supported; supported: comparisons "
                                   "joined by and, or, not and parentheses.")
        known = [*self.vocabulary.paths, *self.vocabulary.instants]
        if path_kind != "word" or path not in known:
            raise UnsupportedQuery(f"$filter: filtering on this path is not supported; supported paths: "
                                   f"{', '.join(known)}.")
        op = self.take()[1]
        if path in self.vocabulary.instants:
            if op not in OPERATORS:
                raise UnsupportedQuery(f"$filter: {path} takes the operators {', '.join(OPERATORS)}.")
            return _instant(self.vocabulary.instants[path], op, _literal("date", self.take(), path))
        field, kind, operators = self.vocabulary.paths[path]
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

    def date_function(self, function: str) -> Node:
        """`year(saksdato) gt 2014`, `month(journaldato) eq 11`, `day(journaldato) le 15`, and
        year() of a timestamp such as opprettetDato (its day in Oslo)."""
        self.take()
        _, path = self.take()
        dates, instants = self.vocabulary.dates, self.vocabulary.instants
        takes = [*dates, *instants] if function == "year" else list(dates)
        if path not in takes or self.take()[1] != ")":
            raise UnsupportedQuery(f"$filter: {function}() takes {' or '.join(takes)}.")
        op = self.take()[1]
        if op not in OPERATORS:
            raise UnsupportedQuery(f"$filter: {function}({path}) takes the operators {', '.join(OPERATORS)}.")
        value = _literal("number", self.take(), f"{function}({path})")
        if function != "year":
            part, highest = DATE_PARTS[function]
            if not 1 <= value <= highest:
                raise UnsupportedQuery(f"$filter: {function}({path}) is compared with a number from 1 to {highest}.")
            return (f"{dates[path]}_{part}", op, value)
        if not 1 <= value <= 9998:
            raise UnsupportedQuery(f"$filter: year({path}) is compared with a year from 1 to 9998.")
        return self.year(path, op, value)

    def year(self, path: str, op: str, year: int) -> Node:
        """`year(journaldato) eq 2026` (and ne) as the journaldato's year, the others — and every year of
        a path without an index on its year — as comparisons with the year's first and last day.

        year(journaldato) eq and ne compare the year itself: on PostgreSQL an index on (the
        year, the journal number) answers a year's newest journalposts in the list's order
        (journal_0014), where a date range had to be sorted or the whole journal walked (over
        300 ms at 1,000,000 journalposts, bench/bench_noark5_search.py).
        """
        if path in self.vocabulary.instants:
            field = self.vocabulary.instants[path]
            first, after = _oslo_midnight(date(year, 1, 1)), _oslo_midnight(date(year + 1, 1, 1))
            return _range(field, op, first, after)
        field = self.vocabulary.dates[path]
        if op in ("eq", "ne") and path in self.vocabulary.indexed_years:
            return (f"{field}_year", op, year)
        return _range(field, op, date(year, 1, 1), date(year + 1, 1, 1))


def _oslo_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=OSLO)


def _range(field: str, op: str, first: Any, after: Any) -> Node:
    """A comparison with a period [first, after) — a year, or a day of a timestamp — as bounds on the field."""
    return {"eq": ("and", ((field, "ge", first), (field, "lt", after))),
            "ne": ("or", ((field, "lt", first), (field, "ge", after))),
            "gt": (field, "ge", after), "ge": (field, "ge", first),
            "lt": (field, "lt", first), "le": (field, "lt", after)}[op]


def _instant(field: str, op: str, day: date) -> Node:
    """`opprettetDato gt 2026-01-01`: a timestamp compared with a day in Oslo (the day as a period)."""
    return _range(field, op, _oslo_midnight(day), _oslo_midnight(day + timedelta(days=1)))


def parse_filter(text: str, vocabulary: Vocabulary = JOURNALPOST) -> tuple[Node, ...]:
    """`a eq 'x' and (b ge 2026 or not c eq 'y')` → a tree of (field, op, value) comparisons under
    ("and"|"or", parts) and ("not", part); 400 naming what is not supported."""
    parser = _Parser(_tokens(text), vocabulary)
    tree = parser.expression()
    if parser.peek() is not None:
        raise UnsupportedQuery("$filter: comparisons are joined by and or or; something else follows one.")
    return (tree,)


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


LIST_OPTIONS = ("$filter", "$orderby", "$top", "$skip")
MAX_FILTER = 2000
MAX_ORDERBY = 200


def list_options(query_params: Any) -> tuple[str | None, str | None]:
    """`$filter` and `$orderby` of a list that takes them (any other option is a 400 naming it)."""
    unknown = sorted(name for name in query_params if name not in LIST_OPTIONS)
    if unknown:
        raise UnsupportedQuery(f"Query option {unknown[0]} is not supported here; supported: "
                               f"{', '.join(sorted(LIST_OPTIONS))}.")
    filter_, orderby = query_params.get("$filter"), query_params.get("$orderby")
    if filter_ is not None and len(filter_) > MAX_FILTER:
        raise UnsupportedQuery(f"$filter is longer than {MAX_FILTER} characters.")
    if orderby is not None and len(orderby) > MAX_ORDERBY:
        raise UnsupportedQuery(f"$orderby is longer than {MAX_ORDERBY} characters.")
    return filter_ or None, orderby or None


def page_only(query_params: Any, top: str | None, skip: str | None) -> Paging:
    """Paging of a list that takes only `$top` and `$skip` (any other option is a 400 naming it)."""
    unknown = sorted(name for name in query_params if name not in ("$top", "$skip"))
    if unknown:
        raise UnsupportedQuery(f"Query option {unknown[0]} is not supported on this list; supported: $top, $skip.")
    return paging(top, skip)


def parse_orderby(text: str, vocabulary: Vocabulary = JOURNALPOST) -> tuple[tuple[str, bool], ...]:
    """`journaldato desc, journalsekvensnummer` → ((sort key, descending), ...); 400 for another path."""
    keys = []
    for item in text.split(","):
        path, *direction = item.split() or [""]
        if path not in vocabulary.orderable or direction not in ([], ["asc"], ["desc"]):
            raise UnsupportedQuery(f"$orderby takes {', '.join(vocabulary.orderable)}, each optionally asc or desc, "
                                   "separated by commas.")
        keys.append((vocabulary.orderable[path], direction == ["desc"]))
    return tuple(keys)


def query(filter_: str | None, top: int, skip: int, orderby: str | None = None, search: str | None = None) -> str:
    options: dict[str, Any] = {}
    if filter_:
        options["$filter"] = filter_
    if orderby:
        options["$orderby"] = orderby
    if search:
        options["$search"] = search
    options["$top"] = top
    if skip:
        options["$skip"] = skip
    return "?" + urlencode(options, quote_via=quote, safe="$/'")
