"""SessionDep commits at the end of the handler and rolls back on an error; ReadSessionDep
reads and can never write. Over HTTP, on SQLite and PostgreSQL."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import DeclarativeBase

from arkiv5_kit.db import Database
from arkiv5_kit.errors import Conflict, add_exception_handlers
from arkiv5_kit.sessions import ReadOnlySessionError, ReadSessionDep, SessionDep, read_session

metadata = MetaData()
notes = Table("notes", metadata, Column("id", Integer, primary_key=True), Column("text", String(50)))


class Base(DeclarativeBase):
    pass


class Note(Base):
    __table__ = notes


def build_app(database: Database) -> FastAPI:
    app = FastAPI()
    app.state.runtime = SimpleNamespace(database=database)
    add_exception_handlers(app)

    @app.post("/notes")
    async def add(session: SessionDep, fail: bool = False) -> dict[str, int]:
        await session.execute(insert(notes).values(text="kept unless it fails"))
        if fail:
            raise Conflict("refused after writing")
        return {"count": int(await session.scalar(select(func.count()).select_from(notes)) or 0)}

    @app.get("/notes/count")
    async def count(session: ReadSessionDep) -> dict[str, int]:
        return {"count": int(await session.scalar(select(func.count()).select_from(notes)) or 0)}

    @app.get("/notes/sneaky-write")
    async def sneaky(session: ReadSessionDep) -> dict[str, int]:
        await session.execute(insert(notes).values(text="must not be written"))
        return {"count": 0}

    return app


@pytest.fixture
async def database(db_backend: Any) -> Any:
    database = Database(db_backend.url)
    async with database.engine.begin() as connection:
        await connection.run_sync(metadata.create_all)
    yield database
    await database.dispose()


async def _count(database: Database) -> int:
    async with read_session(database) as session:
        return int(await session.scalar(select(func.count()).select_from(notes)) or 0)


async def test_session_dep_commits_a_normal_answer_and_rolls_back_a_refusal(database: Database) -> None:
    transport = httpx.ASGITransport(app=build_app(database), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.post("/notes")).json() == {"count": 1}
        refused = await client.post("/notes", params={"fail": "true"})
        assert refused.status_code == 409
        assert refused.headers["content-type"] == "application/problem+json"
        assert (await client.get("/notes/count")).json() == {"count": 1}
    assert await _count(database) == 1


async def test_read_session_dep_refuses_a_write_and_leaves_nothing(database: Database) -> None:
    transport = httpx.ASGITransport(app=build_app(database), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        answer = await client.get("/notes/sneaky-write")
    assert answer.status_code == 500
    assert await _count(database) == 0


async def test_read_session_refuses_flushing_objects_and_a_raw_write_never_lands(
    database: Database, db_backend: Any
) -> None:
    async with read_session(database) as session:
        session.add(Note(text="x"))
        with pytest.raises(ReadOnlySessionError):
            await session.flush()

    # A write the session cannot recognise (raw SQL): PostgreSQL refuses it in a READ ONLY
    # transaction; SQLite runs it, and the rollback at the end undoes it.
    async with read_session(database) as session:
        if db_backend.is_postgresql:
            with pytest.raises(DBAPIError, match="read-only transaction"):
                await session.execute(text("INSERT INTO notes (text) VALUES ('raw')"))
        else:
            await session.execute(text("INSERT INTO notes (text) VALUES ('raw')"))
    assert await _count(database) == 0
