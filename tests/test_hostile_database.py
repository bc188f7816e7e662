"""Database errors become precise problems, and no log line carries the statement or its
parameters — on SQLite and on PostgreSQL, with the real drivers' real exceptions."""

from __future__ import annotations

import json
import logging

import pytest
from backends import DatabaseBackend
from sqlalchemy import BigInteger, Column, Integer, MetaData, String, Table, UniqueConstraint, insert
from sqlalchemy.exc import DBAPIError

from arkiv5_kit.db import create_engine
from arkiv5_kit.dberrors import database_error_response, describe
from arkiv5_kit.logs import configure_logging

SECRET_TITLE = "Barnevernssak for Kari Hemmelig"
FNR = "15108612345"

metadata = MetaData()
thing = Table(
    "thing", metadata,
    Column("id", Integer, primary_key=True),
    Column("code", String(10), nullable=False),
    Column("tittel", String(200)),
    Column("year", Integer),
    Column("big", BigInteger),
    UniqueConstraint("code", name="uq_thing_code"),
)


async def _error(db_backend: DatabaseBackend, *rows: dict[str, object]) -> BaseException:
    engine = create_engine(db_backend.url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(metadata.create_all)
        with pytest.raises((DBAPIError, OverflowError)) as caught:
            async with engine.begin() as connection:
                for row in rows:
                    await connection.execute(insert(thing).values(**row))
        return caught.value
    finally:
        await engine.dispose()


async def test_a_unique_violation_is_409_naming_the_constraint(db_backend: DatabaseBackend) -> None:
    error = await _error(db_backend, {"code": "A", "tittel": SECRET_TITLE}, {"code": "A", "tittel": SECRET_TITLE})
    info = describe(error)
    assert (info.status, info.slug, info.sqlstate) == (409, "unique-violation", "23505")
    assert info.constraint == ("uq_thing_code" if db_backend.is_postgresql else "thing.code")


async def test_a_too_long_string_and_a_missing_value_are_422(db_backend: DatabaseBackend) -> None:
    missing = describe(await _error(db_backend, {"code": None, "tittel": SECRET_TITLE}))
    assert (missing.status, missing.sqlstate) == (422, "23502")
    if db_backend.is_postgresql:  # SQLite does not enforce VARCHAR lengths
        too_long = describe(await _error(db_backend, {"code": "x" * 11, "tittel": SECRET_TITLE}))
        assert (too_long.status, too_long.slug, too_long.sqlstate) == (422, "string-too-long", "22001")


async def test_an_integer_out_of_range_is_422(db_backend: DatabaseBackend) -> None:
    # PostgreSQL's int4 (asyncpg refuses it before sending); SQLite's 64-bit integers (OverflowError).
    value = 3_000_000_000 if db_backend.is_postgresql else 99999999999999999999
    info = describe(await _error(db_backend, {"code": "A", "year": value}))
    assert (info.status, info.slug) == (422, "value-out-of-range")


async def test_nul_in_text_is_422_on_postgresql(postgres_database: str) -> None:
    # PostgreSQL only: SQLite stores NUL in text, and the input policy refuses it before any database.
    backend = DatabaseBackend("postgresql", postgres_database)
    info = describe(await _error(backend, {"code": "A", "tittel": f"{SECRET_TITLE}\x00"}))
    assert (info.status, info.sqlstate) == (422, "22021")


async def test_the_answer_and_the_log_carry_no_statement_or_parameter(
    db_backend: DatabaseBackend, capsys: pytest.CaptureFixture[str]
) -> None:
    error = await _error(db_backend, {"code": "A", "tittel": SECRET_TITLE}, {"code": "A", "tittel": FNR})
    assert SECRET_TITLE in str(error) or FNR in str(error)  # what the driver's message would have leaked
    configure_logging("journal", level="INFO", json_lines=True)
    response = database_error_response(error, "/saksmapper")
    logging.getLogger("arkiv5.test").error("registration failed: %s", error, exc_info=error)
    logging.getLogger("sqlalchemy.engine.Engine").error("statement failed", exc_info=error)
    out = capsys.readouterr().out
    body = json.loads(bytes(response.body))
    assert response.status_code == 409 and body["type"].endswith("/unique-violation") and body["error_id"]
    for text in (out, json.dumps(body)):
        for leak in (SECRET_TITLE, FNR, "INSERT", "insert into", "[parameters", "$1", "VALUES"):
            assert leak not in text, (leak, text)
    lines = [json.loads(line) for line in out.splitlines()]
    refused = next(line for line in lines if line["message"] == "database refused the request")
    assert refused["sqlstate"] == "23505" and refused["error_id"] == body["error_id"]
    assert any("sqlstate=23505" in line.get("exc_info", "") for line in lines)
