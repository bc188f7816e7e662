"""The kit's input types and helpers, on their own: lengths, ranges, control characters, safe
file names, validation messages that never repeat the value, tracebacks without SQL."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError, field_validator

from arkiv5_kit.errors import field_errors
from arkiv5_kit.limits import (
    FILENAME_MAX_BYTES,
    Instant,
    SafeLine,
    SafeText,
    Skip,
    Top,
    Year,
    safe_filename,
    safe_text,
)
from arkiv5_kit.logs import configure_logging


@pytest.mark.parametrize("value", ["a\x00b", "\x1b[31m", "x\x7f", "lone \ud800 surrogate", "x" * 2001])
def test_safe_text_refuses_control_characters_and_overlength(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(SafeText).validate_python(value)


def test_safe_text_keeps_tabs_and_line_breaks_and_a_line_does_not() -> None:
    assert TypeAdapter(SafeText).validate_python("Linje 1\r\nLinje\t2") == "Linje 1\r\nLinje\t2"
    with pytest.raises(ValidationError):
        TypeAdapter(SafeLine).validate_python("Linje 1\nLinje 2")
    with pytest.raises(ValidationError):
        TypeAdapter(safe_text(10)).validate_python("x" * 11)


@pytest.mark.parametrize(("kind", "good", "bad"), [
    (Year, [1, 2026, 9999], [0, -1, 10000, 3_000_000_000]),
    (Skip, [0, 1_000_000], [-1, 1_000_001, 99999999999999999999]),
    (Top, [1, 1000], [0, 1001]),
])
def test_numbers_are_bounded(kind: object, good: list[int], bad: list[int]) -> None:
    adapter = TypeAdapter(kind)
    assert [adapter.validate_python(v) for v in good] == good
    for value in bad:
        with pytest.raises(ValidationError):
            adapter.validate_python(value)


@pytest.mark.parametrize(("raw", "name"), [
    ("../../etc/passwd", "passwd"),
    ("C:\\Users\\kari\\brev.pdf", "brev.pdf"),
    ("brev\x00.pdf", "brev.pdf"),
    ("..", "dokument"),
    (".bashrc", "bashrc"),
    ("CON.txt", "_CON.txt"),
    ('a<b>c:"d|e?f*.pdf', "a_b_c__d_e_f_.pdf"),
    ("Søknad om støtte.docx", "Søknad om støtte.docx"),
])
def test_safe_filename_is_a_base_name_and_keeps_the_original(raw: str, name: str) -> None:
    safe = safe_filename(raw)
    assert safe.name == name
    assert "\x00" not in safe.original and safe.original.replace("\ufffd", "\x00") == raw


def test_safe_filename_cuts_long_names_to_255_bytes_keeping_the_extension() -> None:
    safe = safe_filename("ø" * 300 + ".pdf")
    assert len(safe.name.encode()) <= FILENAME_MAX_BYTES and safe.name.endswith(".pdf") and safe.changed


def test_instant_puts_back_the_utc_offset() -> None:
    assert TypeAdapter(Instant).validate_python(datetime(2026, 1, 5, 12)) == datetime(2026, 1, 5, 12, tzinfo=UTC)


def test_a_validation_message_never_repeats_the_value() -> None:
    class Kode(BaseModel):
        kode: str

        @field_validator("kode")
        @classmethod
        def _known(cls, value: str) -> str:
            raise ValueError(f"{value!r} is not a valid Journalposttype")

    with pytest.raises(ValidationError) as caught:
        Kode(kode="15108612345")
    errors = field_errors(caught.value.errors())
    assert errors[0].field == "kode" and errors[0].code == "value_error"
    assert "15108612345" not in errors[0].message


def test_a_traceback_shows_the_database_error_by_code_only(capsys: pytest.CaptureFixture[str]) -> None:
    import sqlite3

    from sqlalchemy.exc import IntegrityError

    configure_logging("journal", level="INFO", json_lines=True)
    orig = sqlite3.IntegrityError("UNIQUE constraint failed: saksmappe.mappe_id")
    statement, parameters = "INSERT INTO saksmappe (tittel) VALUES (?)", ("Kari Nordmann",)
    try:
        try:
            raise orig
        except sqlite3.IntegrityError as error:
            raise IntegrityError(statement, parameters, error) from error
    except IntegrityError:
        logging.getLogger("arkiv5.test").exception("failed")
    entry = json.loads(capsys.readouterr().out)
    assert "Kari Nordmann" not in entry["exc_info"] and "INSERT" not in entry["exc_info"]
    assert "sqlstate=23505" in entry["exc_info"] and "constraint=saksmappe.mappe_id" in entry["exc_info"]
