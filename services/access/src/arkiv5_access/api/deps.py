"""Request-scoped dependencies: the unit of work, the outbox, the acting caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.errors import Conflict, DomainError
from arkiv5_kit.outbox import Outbox

from ..auth import Caller
from ..domain import audit
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
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the handler returns normally.

    A refused request changes nothing, but its refusal is still audited: denials the
    services noted are written in a transaction of their own after the rollback.

    The services check uniqueness and serialise changes of one person with row locks, so
    a constraint violation here means a concurrent request won a race the checks could
    not see (two new units with one code at once): a 409, never a 500.
    """
    database = request.app.state.runtime.database
    session_info: dict[str, object] = {}
    try:
        async with database.unit_of_work() as session:
            session_info = session.info
            yield session
    except DomainError:
        denials = session_info.pop(audit.DENIALS, None)
        if denials:
            async with database.unit_of_work() as audit_session:
                await audit.write_denials(audit_session, denials)  # type: ignore[arg-type]
        raise
    except IntegrityError:
        raise ConcurrentChange() from None
    except DBAPIError as error:
        if _sqlstate(error) in _RETRYABLE_SQLSTATES:
            raise ConcurrentChange() from None
        raise


# scope="function": commit before the response is sent, so a failed commit is the answer.
SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]


def outbox(request: Request) -> Outbox:
    return request.app.state.runtime.outbox


OutboxDep = Annotated[Outbox, Depends(outbox)]


async def actor(session: AsyncSession, who: Caller) -> Actor:
    return await actor_for(session, subject_id=who.subject_id)
