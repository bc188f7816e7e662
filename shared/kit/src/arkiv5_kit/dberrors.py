"""Database errors as precise problems — and never their statement or parameters in a log.

The text of a SQLAlchemy error (and of asyncpg's and sqlite3's) quotes the statement and
the bound parameters: titles, names, addresses, a fødselsnummer. So nothing here ever
formats the exception itself. `describe()` keeps what is safe to show — the SQLSTATE,
the constraint name, the class of the error — and `add_database_error_handlers()` turns
an integrity or data error into a 409/422 problem+json and logs one line with an error id,
the SQLSTATE and the constraint name. Everything else (a lost connection, a timeout)
answers 503 or 500 the same way, without the statement.

`quiet_database_loggers()` keeps SQLAlchemy's own loggers from echoing statements.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from dataclasses import dataclass
from uuid import uuid4

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc

from arkiv5_contracts.problem import Problem, problem_type

from .errors import problem_response

log = logging.getLogger(__name__)

# SQLSTATE classes (PostgreSQL appendix A) and what the client did wrong.
_CONFLICT = {"23505": "unique-violation", "23P01": "exclusion-violation", "40001": "serialization-failure",
             "40P01": "deadlock"}
_INVALID = {
    "23502": "not-null-violation", "23503": "foreign-key-violation", "23514": "check-violation",
    "22001": "string-too-long", "22003": "numeric-out-of-range", "22007": "invalid-datetime-format",
    "22008": "datetime-out-of-range", "22021": "character-not-in-repertoire", "22P02": "invalid-text-representation",
    "22P05": "untranslatable-character", "22012": "division-by-zero", "54000": "program-limit-exceeded",
}
_UNAVAILABLE_CLASSES = ("08", "53", "57")  # connection, insufficient resources, operator intervention

# sqlite3 names the failed constraint in its message ("UNIQUE constraint failed: saksmappe.mappe_id");
# only the table.column part is kept, which is schema, not data.
_SQLITE_CONSTRAINT = re.compile(r"^(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?:: ([\w.]+(?:, [\w.]+)*))?")
_SQLITE_STATES = {"UNIQUE": "23505", "NOT NULL": "23502", "CHECK": "23514", "FOREIGN KEY": "23503"}


@dataclass(frozen=True)
class DatabaseErrorInfo:
    """What may be said about a database error: never the statement, the parameters or the message."""

    status: int
    slug: str
    sqlstate: str | None
    constraint: str | None
    error_type: str

    @property
    def log_fields(self) -> dict[str, str | None]:
        return {"sqlstate": self.sqlstate, "constraint": self.constraint, "error_type": self.error_type}


def is_database_error(error: BaseException) -> bool:
    return isinstance(error, (sa_exc.DBAPIError, sqlite3.Error, OverflowError)) or _asyncpg_error(error) is not None


def describe(error: BaseException) -> DatabaseErrorInfo:
    """Classify a database error from its codes alone."""
    original = error.orig if isinstance(error, sa_exc.DBAPIError) else error
    asyncpg_error = _asyncpg_error(original) or _asyncpg_error(error)
    sqlstate: str | None = getattr(asyncpg_error, "sqlstate", None) or getattr(original, "sqlstate", None)
    constraint: str | None = getattr(asyncpg_error, "constraint_name", None)
    error_type = type(asyncpg_error or original).__name__
    if isinstance(original, sqlite3.Error):
        sqlstate, constraint = _sqlite_codes(original)
    if _caused_by_overflow(error):
        # sqlite3 cannot bind an integer over 64 bits, asyncpg one over the column's range
        # (it refuses before sending); date arithmetic leaves the years 1-9999.
        return DatabaseErrorInfo(422, "value-out-of-range", "22003", None, error_type)
    if sqlstate in _CONFLICT:
        return DatabaseErrorInfo(409, _CONFLICT[sqlstate], sqlstate, constraint, error_type)
    if sqlstate in _INVALID:
        return DatabaseErrorInfo(422, _INVALID[sqlstate], sqlstate, constraint, error_type)
    if sqlstate and sqlstate.startswith(("22", "23")):
        return DatabaseErrorInfo(422, "invalid-data", sqlstate, constraint, error_type)
    if isinstance(error, (sa_exc.IntegrityError)) or isinstance(original, sqlite3.IntegrityError):
        return DatabaseErrorInfo(409, "integrity-violation", sqlstate, constraint, error_type)
    if isinstance(error, sa_exc.DataError) or isinstance(original, sqlite3.DataError):
        return DatabaseErrorInfo(422, "invalid-data", sqlstate, constraint, error_type)
    if (sqlstate and sqlstate.startswith(_UNAVAILABLE_CLASSES)) or isinstance(
        error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.DisconnectionError)
    ):
        return DatabaseErrorInfo(503, "database-unavailable", sqlstate, constraint, error_type)
    return DatabaseErrorInfo(500, "internal-error", sqlstate, constraint, error_type)


def safe_text(error: BaseException) -> str:
    """A one-line description of any error that is safe to log or put in a header."""
    if is_database_error(error):
        info = describe(error)
        parts = [info.error_type, f"sqlstate={info.sqlstate}" if info.sqlstate else "", info.slug]
        if info.constraint:
            parts.append(f"constraint={info.constraint}")
        return " ".join(p for p in parts if p)
    return type(error).__name__


_DETAILS = {
    409: "The request conflicts with data already stored ({slug}). Nothing was changed.",
    422: "A value cannot be stored ({slug}): check lengths, ranges and characters. Nothing was changed.",
    503: "The database is not reachable just now. Nothing was changed; try again shortly.",
    500: "The request failed on our side and changed nothing. Quote the error id.",
}
_TITLES = {409: "Conflict", 422: "The request cannot be carried out", 503: "Service unavailable",
           500: "Internal error"}


def database_error_response(error: BaseException, path: str) -> JSONResponse:
    """Log the error safely (error id, SQLSTATE, constraint) and answer it as problem+json."""
    info = describe(error)
    error_id = str(uuid4())
    level = logging.ERROR if info.status >= 500 else logging.WARNING
    log.log(level, "database refused the request", extra={"error_id": error_id, "status": info.status,
                                                          **info.log_fields})
    extensions: dict[str, str] = {"error_id": error_id}
    if info.constraint and info.status < 500:
        extensions["constraint"] = info.constraint
    problem = Problem(
        type=problem_type(info.slug if info.status < 500 else "internal-error"), title=_TITLES[info.status],
        status=info.status, detail=_DETAILS[info.status].format(slug=info.slug), instance=path, **extensions,
    )
    headers = {"Retry-After": "5"} if info.status == 503 else None
    return problem_response(problem, headers)


def add_database_error_handlers(app: FastAPI) -> None:
    async def _handle(request: Request, exc: Exception) -> JSONResponse:
        return database_error_response(exc, request.url.path)

    for error_class in (sa_exc.DBAPIError, sqlite3.Error, OverflowError, *_asyncpg_classes()):
        app.add_exception_handler(error_class, _handle)


def quiet_database_loggers() -> None:
    """SQLAlchemy logs statements and parameters at INFO when echo is on, and the pool logs
    the error text of a failed reset: neither may reach our log stream."""
    for name in ("sqlalchemy.engine", "sqlalchemy.engine.Engine", "sqlalchemy.pool", "sqlalchemy.dialects",
                 "sqlalchemy.orm", "asyncpg", "aiosqlite"):
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.getLogger("sqlalchemy.engine.Engine").addFilter(_drop_statements)
    logging.getLogger("sqlalchemy.pool").addFilter(_drop_statements)


def _drop_statements(record: logging.LogRecord) -> bool:
    if record.exc_info and record.exc_info[1] is not None and is_database_error(record.exc_info[1]):
        record.msg, record.args = "database error: %s", (safe_text(record.exc_info[1]),)
        record.exc_info = None
        record.exc_text = None
    return record.levelno >= logging.WARNING


def _asyncpg_classes() -> tuple[type[BaseException], ...]:
    try:
        import asyncpg
    except ImportError:  # pragma: no cover - asyncpg ships with the kit
        return ()
    return (asyncpg.PostgresError, asyncpg.InterfaceError)


def _asyncpg_error(error: BaseException | None) -> BaseException | None:
    classes = _asyncpg_classes()
    seen = 0
    while error is not None and seen < 5:
        if classes and isinstance(error, classes):
            return error
        error = error.__cause__
        seen += 1
    return None


def _caused_by_overflow(error: BaseException | None) -> bool:
    seen = 0
    while error is not None and seen < 6:
        if isinstance(error, OverflowError):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def _sqlite_codes(error: sqlite3.Error) -> tuple[str | None, str | None]:
    match = _SQLITE_CONSTRAINT.match(str(error.args[0]) if error.args else "")
    if match:
        return _SQLITE_STATES[match.group(1)], match.group(2)
    if isinstance(error, sqlite3.DataError):
        return "22000", None
    if isinstance(error, sqlite3.OperationalError):
        return "08000" if "locked" not in str(error) else "55P03", None
    return None, None
