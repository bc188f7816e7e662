"""What every access handler takes: its session, the outbox, and the verified caller.

The sessions are the kit's (`arkiv5_kit.sessions`) with one rule of this service added:
a refused request changes nothing, but its refusal is still audited — denials the use
cases noted on the session are written in a transaction of their own after the rollback.

The caller is one dependency form for every route: `<Role>Dep = Annotated[Caller,
Depends(caller(<scope>))]`, declared here once, with the scope names of the contracts.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts import scopes
from arkiv5_kit.db import Database
from arkiv5_kit.errors import Conflict, DomainError
from arkiv5_kit.outbox import Outbox
from arkiv5_kit.sessions import database_of, read_session

from ..auth import Caller, caller
from ..domain import audit, passwords
from ..domain.service import Actor, actor_for

# PostgreSQL's serialization failure, deadlock and lock-not-available: a concurrent
# transaction won; the request changed nothing and may simply be sent again.
_RETRYABLE_SQLSTATES = frozenset({"40001", "40P01", "55P03"})


class ConcurrentChange(Conflict):
    slug, title = "concurrent-change", "Changed concurrently"

    def __init__(self) -> None:
        super().__init__("A concurrent request changed the same data first; nothing was written. Read the current "
                         "state and send the request again if it still applies.")


def _sqlstate(error: DBAPIError) -> str | None:
    orig = error.orig
    state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
    return state if isinstance(state, str) else None


@asynccontextmanager
async def _audited(
    database: Database, opened: AbstractAsyncContextManager[AsyncSession], rules: passwords.PasswordRules | None = None,
) -> AsyncIterator[AsyncSession]:
    """The session, with refusals audited (and failed sign-ins counted) after the rollback,
    and lost races answered 409.

    The use cases check uniqueness and serialise changes of one person with row locks, so a
    constraint violation here means a concurrent request won a race the checks could not
    see (two new units with one code at once): a 409, never a 500.
    """
    session_info: dict[str, object] = {}
    try:
        async with opened as session:
            session_info = session.info
            yield session
    except DomainError:
        denials = session_info.pop(audit.DENIALS, None)
        failures = session_info.pop(passwords.FAILURES, None)
        if isinstance(denials, list) and denials:
            async with database.unit_of_work() as audit_session:
                await audit.write_denials(audit_session, denials)
        if isinstance(failures, list) and failures and rules is not None:
            async with database.unit_of_work() as failure_session:
                await passwords.write_failures(failure_session, failures, rules)
        raise
    except IntegrityError:
        raise ConcurrentChange() from None
    except DBAPIError as error:
        if _sqlstate(error) in _RETRYABLE_SQLSTATES:
            raise ConcurrentChange() from None
        raise


def password_rules(request: Request) -> passwords.PasswordRules:
    settings = request.app.state.settings
    return passwords.PasswordRules(min_length=settings.password_min_length, max_failures=settings.password_max_failures)


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    database = database_of(request)
    async with _audited(database, database.unit_of_work(), password_rules(request)) as session:
        yield session


async def reading(request: Request) -> AsyncIterator[AsyncSession]:
    database = database_of(request)
    async with _audited(database, read_session(database)) as session:
        yield session


# scope="function": commit before the response is sent, so a failed commit is the answer.
SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]
ReadSessionDep = Annotated[AsyncSession, Depends(reading, scope="function")]


def outbox(request: Request) -> Outbox:
    runtime_outbox: Outbox = request.app.state.runtime.outbox
    return runtime_outbox


OutboxDep = Annotated[Outbox, Depends(outbox)]
PasswordRulesDep = Annotated[passwords.PasswordRules, Depends(password_rules)]

AnyoneDep = Annotated[Caller, Depends(caller())]
ReaderDep = Annotated[Caller, Depends(caller(scopes.ACCESS_RIGHTS_READ))]
RequesterDep = Annotated[Caller, Depends(caller(scopes.ACCESS_RIGHTS_REQUEST))]
ApproverDep = Annotated[Caller, Depends(caller(scopes.ACCESS_RIGHTS_APPROVE))]
AdminDep = Annotated[Caller, Depends(caller(scopes.ACCESS_RIGHTS_ADMIN))]
DeciderDep = Annotated[Caller, Depends(caller(scopes.ACCESS_DECISIONS))]
AuditWriterDep = Annotated[Caller, Depends(caller(scopes.ACCESS_AUDIT_WRITE))]
AuditReaderDep = Annotated[Caller, Depends(caller(scopes.ACCESS_AUDIT_READ))]


async def actor(session: AsyncSession, who: Caller) -> Actor:
    return await actor_for(session, subject_id=who.subject_id)


__all__ = ["Caller"]
