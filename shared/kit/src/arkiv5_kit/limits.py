"""The numbers of the input policy, and the pydantic types services declare their inputs with.

Every service gets the same limits from `create_service_app` (see `inputs.py` for how they
are enforced before a body is parsed); a route that takes more — an upload — declares it
with `@body_limit(...)` or through `InputLimits.routes`. Fields and query parameters use
the types here so that a length, a range and the refusal of control characters are
written once: `SafeText`, `SafeLine`, `Year`, `Skip`, `Top`, and `safe_filename()` for
names a client gives a file.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

from annotated_types import Interval
from pydantic import AfterValidator, StringConstraints

MIB = 1024 * 1024

JSON_BODY_BYTES = 1 * MIB
"""Largest JSON (and urlencoded form) body on a route that declares nothing else."""
JSON_MAX_DEPTH = 64
"""Deepest nesting of arrays and objects in a JSON body."""
STREAM_BODY_BYTES = 5 * 1024 * MIB
"""Ceiling for a route that reads its body as a stream (uploads); the route's own limit is lower."""
TEXT_MAX_LENGTH = 2000
"""Default longest free text (a tittel, a merknad)."""
LINE_MAX_LENGTH = 255
"""Default longest one-line value (a code, a name, a file name)."""
FILENAME_MAX_BYTES = 255
"""Longest stored file name, in UTF-8 bytes (what every common file system allows)."""
ORIGINAL_FILENAME_MAX_LENGTH = 1024
MAX_SKIP = 1_000_000
MAX_TOP = 1000

# C0 controls except tab, newline and carriage return; DEL. NUL breaks PostgreSQL text and XML.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def first_forbidden_character(value: str, *, allow_line_breaks: bool = True) -> int | None:
    """Position of the first control character or lone surrogate, or None when the text is clean."""
    pattern = _CONTROL if allow_line_breaks else _CONTROL_OR_BREAK
    match = pattern.search(value) or _SURROGATE.search(value)
    return match.start() if match else None


def _no_control_characters(value: str) -> str:
    if first_forbidden_character(value) is not None:
        raise ValueError("contains a control character (only tab and line breaks are allowed)")
    return value


def _one_line(value: str) -> str:
    if first_forbidden_character(value, allow_line_breaks=False) is not None:
        raise ValueError("contains a control character or a line break")
    return value


def safe_text(max_length: int = TEXT_MAX_LENGTH, *, min_length: int = 0) -> Any:
    """Free text: at most `max_length` characters, tab and line breaks allowed, no other control."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length),
                     AfterValidator(_no_control_characters)]


def safe_line(max_length: int = LINE_MAX_LENGTH, *, min_length: int = 0) -> Any:
    """One line: at most `max_length` characters and no control character at all."""
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length), AfterValidator(_one_line)]


SafeText = Annotated[str, StringConstraints(max_length=TEXT_MAX_LENGTH), AfterValidator(_no_control_characters)]
SafeLine = Annotated[str, StringConstraints(max_length=LINE_MAX_LENGTH), AfterValidator(_one_line)]
Year = Annotated[int, Interval(ge=1, le=9999)]
"""A calendar year as Noark and every date type here know it: 1–9999."""
Skip = Annotated[int, Interval(ge=0, le=MAX_SKIP)]
"""How many results to pass over (`$skip`)."""
Top = Annotated[int, Interval(ge=1, le=MAX_TOP)]
"""How many results one page holds (`$top`)."""


def _as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


Instant = Annotated[datetime, AfterValidator(_as_utc)]
"""A moment in an answer: SQLite hands back stored UTC times without their offset; this puts
it back, so every service's date-times are RFC 3339 as their OpenAPI document says."""


@dataclass(frozen=True)
class SafeFilename:
    """A file name fit to store and serve, and what the client sent (for the record)."""

    name: str
    original: str

    @property
    def changed(self) -> bool:
        return self.name != self.original


_RESERVED = re.compile(r'[<>:"|?*\\/]')
_WINDOWS_DEVICES = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}


def safe_filename(raw: str, *, default: str = "dokument") -> SafeFilename:
    """The base name of `raw`, normalised (NFC), without directories, control or reserved
    characters or leading dots, at most 255 UTF-8 bytes with its extension kept.

    `original` is `raw` with control characters replaced by U+FFFD and cut to 1024
    characters: it can be stored as metadata, never used as a path.
    """
    original = _SURROGATE.sub("\ufffd", _CONTROL_OR_BREAK.sub("\ufffd", raw))[:ORIGINAL_FILENAME_MAX_LENGTH]
    text = unicodedata.normalize("NFC", original)
    base = re.split(r"[/\\]", text)[-1]
    base = _RESERVED.sub("_", base.replace("\ufffd", "")).strip().lstrip(".").strip()
    if not base:
        base = default
    stem, ext = os.path.splitext(base)
    if stem.upper() in _WINDOWS_DEVICES:
        stem = "_" + stem
    if len(ext.encode()) > 32:  # not an extension, just a dot in a long name
        stem, ext = base, ""
    budget = FILENAME_MAX_BYTES - len(ext.encode())
    stem = stem.encode()[:budget].decode("utf-8", "ignore").rstrip() or default
    return SafeFilename(name=stem + ext, original=original)


@dataclass(frozen=True)
class InputLimits:
    """The limits `inputs.InputPolicyMiddleware` enforces for one service.

    `routes` maps a route's path template (as declared, e.g. "/journalposter/{journalpost_id}/dokumenter")
    to its body limit in bytes; `@body_limit` on the endpoint does the same in place.
    """

    json_bytes: int = JSON_BODY_BYTES
    json_depth: int = JSON_MAX_DEPTH
    form_bytes: int = JSON_BODY_BYTES
    stream_bytes: int = STREAM_BODY_BYTES
    routes: Mapping[str, int] = field(default_factory=dict)


F = TypeVar("F", bound=Callable[..., Any])
BODY_LIMIT_ATTRIBUTE = "__arkiv5_body_limit__"


def body_limit(max_bytes: int) -> Callable[[F], F]:
    """Declare an endpoint's own body limit (an upload); put it under the route decorator."""

    def mark(endpoint: F) -> F:
        setattr(endpoint, BODY_LIMIT_ATTRIBUTE, max_bytes)
        return endpoint

    return mark
