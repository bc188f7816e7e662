"""JSON log lines with the service and correlation id — and no personal data.

A filter masks anything shaped like a fødselsnummer (11 digits) in every message and
argument, as a last line of defence: code must not log personal data in the first place.
Tracebacks keep their frames but never the message of a database error, which quotes the
statement and its parameters (titles, names, addresses): that line shows the error's
class, SQLSTATE and constraint instead (`dberrors.safe_text`).
"""

from __future__ import annotations

import logging
import re
import sys
import traceback
from types import TracebackType

from pythonjsonlogger.json import JsonFormatter

from .context import correlation_id_var

_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{6}\s?\d{5}(?!\d)")
MASK = "***********"


def redact(text: str) -> str:
    return _ELEVEN_DIGITS.sub(MASK, text)


ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None] | tuple[None, None, None]


def format_exception_safely(ei: ExcInfo) -> str:
    """A traceback whose exception lines never quote a database statement or its parameters."""
    from .dberrors import is_database_error, safe_text

    error = ei[1]
    if error is None:
        return ""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    link = ""
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, link))
        if current.__cause__ is not None:
            current, link = current.__cause__, "The above exception was the direct cause of the following exception:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, link = current.__context__, "During handling of the above exception, another exception occurred:"
        else:
            current = None
    blocks: list[str] = []
    for position, (exc, _) in enumerate(reversed(chain)):
        if position:
            blocks.append("\n\n" + list(reversed(chain))[position - 1][1] + "\n\n")
        frames = redact("".join(traceback.format_tb(exc.__traceback__))) if exc.__traceback__ else ""
        name = f"{type(exc).__module__}.{type(exc).__qualname__}"
        message = safe_text(exc) if is_database_error(exc) else redact(str(exc))
        blocks.append(("Traceback (most recent call last):\n" + frames if frames else "") + f"{name}: {message}")
    return "".join(blocks)


class RedactingJsonFormatter(JsonFormatter):
    """Tracebacks are text we do not control (an exception may quote a number): redact them."""

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        return format_exception_safely(ei)

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(str(super().formatStack(stack_info)))


# What every LogRecord has; anything else on a record came from `extra=` and is a field.
_RECORD_ATTRIBUTES = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message", "asctime", "service", "correlation_id", "taskName"}


class RedactingFormatter(logging.Formatter):
    """The plain (human) format: the message, then the structured fields as key=value, so
    `ARKIV5_LOG_JSON=false` loses nothing the JSON lines carry."""

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = {k: v for k, v in vars(record).items() if k not in _RECORD_ATTRIBUTES and not k.startswith("_")}
        correlation = getattr(record, "correlation_id", None)
        if correlation:
            fields["correlation_id"] = correlation
        if not fields:
            return line
        first, newline, rest = line.partition("\n")  # fields go on the message line, before a traceback
        rendered = " ".join(f"{k}={_field(v)}" for k, v in fields.items())
        return f"{first} {rendered}{newline}{rest}"

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def]  # noqa: N802
        return format_exception_safely(ei)


def _field(value: object) -> str:
    text = redact(_safe(value))
    return f'"{text}"' if not text or any(c.isspace() or c in '"=' for c in text) else text


class ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        correlation = correlation_id_var.get()
        record.correlation_id = str(correlation) if correlation else None
        if not hasattr(record, "service"):
            record.service = self.service
        record.msg = redact(_safe(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(_safe(a)) if isinstance(a, (str, BaseException)) else a for a in args)
        return True


def _safe(value: object) -> str:
    """An exception as an argument would print its whole message: a database error's is the SQL."""
    if isinstance(value, BaseException):
        from .dberrors import is_database_error, safe_text

        return safe_text(value) if is_database_error(value) else str(value)
    return str(value)


def configure_logging(service: str, *, level: str = "INFO", json_lines: bool = True) -> None:
    """Idempotent: the last caller's level wins; one handler on the root logger."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "_arkiv5", False)), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stdout)
        handler._arkiv5 = True  # type: ignore[attr-defined]
        root.addHandler(handler)
    assert isinstance(handler, logging.StreamHandler)
    handler.stream = sys.stdout  # whatever stdout is now (tests capture it)
    if json_lines:
        handler.setFormatter(
            RedactingJsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(service)s %(correlation_id)s",
                rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                timestamp=False,
            )
        )
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s [%(service)s] %(name)s: %(message)s"))
    handler.filters = [ContextFilter(service)]
    root.setLevel(level.upper())
    # uvicorn's access log prints raw paths, which may hold identifiers; our metrics and
    # structured logs cover requests instead.
    logging.getLogger("uvicorn.access").disabled = True
    from .dberrors import quiet_database_loggers

    quiet_database_loggers()
