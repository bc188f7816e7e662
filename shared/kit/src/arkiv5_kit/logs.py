"""JSON log lines with the service and correlation id — and no personal data.

A filter masks anything shaped like a fødselsnummer (11 digits) in every message and
argument, as a last line of defence: code must not log personal data in the first place.
"""

from __future__ import annotations

import logging
import re
import sys

from pythonjsonlogger.json import JsonFormatter

from .context import correlation_id_var

_ELEVEN_DIGITS = re.compile(r"(?<!\d)\d{6}\s?\d{5}(?!\d)")
MASK = "***********"


def redact(text: str) -> str:
    return _ELEVEN_DIGITS.sub(MASK, text)


class RedactingJsonFormatter(JsonFormatter):
    """Tracebacks are text we do not control (an exception may quote a number): redact them."""

    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def,override]  # noqa: N802
        return redact(super().formatException(ei))

    def formatStack(self, stack_info: str) -> str:  # noqa: N802
        return redact(super().formatStack(stack_info))


class RedactingFormatter(logging.Formatter):
    def formatException(self, ei) -> str:  # type: ignore[no-untyped-def,override]  # noqa: N802
        return redact(super().formatException(ei))


class ContextFilter(logging.Filter):
    def __init__(self, service: str) -> None:
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        correlation = correlation_id_var.get()
        record.correlation_id = str(correlation) if correlation else None
        if not hasattr(record, "service"):
            record.service = self.service
        record.msg = redact(str(record.msg))
        if record.args:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in args)
        return True


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
