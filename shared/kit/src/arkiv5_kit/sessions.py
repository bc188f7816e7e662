"""The two ways a request gets a database session, the same in every service.

`SessionDep` is the request's unit of work: one transaction, committed when the handler
returns (before the response is sent, so a failed commit is the answer), rolled back on
any error. `ReadSessionDep` is for handlers that only read: it never commits, on SQLite it
does not queue behind writers, PostgreSQL runs it as a READ ONLY transaction, and any
attempt to write through it fails at once with `ReadOnlySessionError`.

    @router.get("/things/{id}")
    async def read_thing(id: UUID, session: ReadSessionDep, who: ReaderDep) -> ThingRead: ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

from .db import READ_ONLY, Database

READ_ONLY_SESSION = "arkiv5.read_only_session"


class ReadOnlySessionError(RuntimeError):
    """A write through a read session: a programming error, never the caller's fault."""


def database_of(request: Request) -> Database:
    """The database of the service that serves this request (the runtime on the app's state)."""
    database: Database = request.app.state.runtime.database
    return database


@asynccontextmanager
async def read_session(database: Database) -> AsyncIterator[AsyncSession]:
    """A session that reads and never writes; its transaction is always rolled back."""
    options: dict[str, Any] = {READ_ONLY: True}
    if database.is_postgres:
        options["postgresql_readonly"] = True
    async with database.engine.connect() as connection:
        connection = await connection.execution_options(**options)
        session = AsyncSession(bind=connection, expire_on_commit=False)
        session.info[READ_ONLY_SESSION] = True
        try:
            yield session
        finally:
            await session.close()
            await connection.rollback()


@event.listens_for(Session, "do_orm_execute")
def _refuse_write_statements(state: ORMExecuteState) -> None:
    if state.session.info.get(READ_ONLY_SESSION) and (state.is_insert or state.is_update or state.is_delete):
        raise ReadOnlySessionError("a read session cannot execute INSERT, UPDATE or DELETE")


@event.listens_for(Session, "before_flush")
def _refuse_flush(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(READ_ONLY_SESSION) and (session.new or session.dirty or session.deleted):
        raise ReadOnlySessionError("a read session cannot flush changes")


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    async with database_of(request).unit_of_work() as session:
        yield session


async def reading(request: Request) -> AsyncIterator[AsyncSession]:
    async with read_session(database_of(request)) as session:
        yield session


# scope="function": the transaction ends when the handler returns, before the response is
# sent — a commit that fails is the answer, never a 200 for something that did not happen.
SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(reading, scope="function")]
