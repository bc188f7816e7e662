"""Request-scoped dependencies: the unit of work, the outbox, the acting caller."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.errors import DomainError
from arkiv5_kit.outbox import Outbox

from ..auth import Caller
from ..domain import audit
from ..domain.service import Actor, actor_for


async def unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """One transaction per request, committed when the handler returns normally.

    A refused request changes nothing, but its refusal is still audited: denials the
    services noted are written in a transaction of their own after the rollback.
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


# scope="function": commit before the response is sent, so a failed commit is the answer.
SessionDep = Annotated[AsyncSession, Depends(unit_of_work, scope="function")]


def outbox(request: Request) -> Outbox:
    return request.app.state.runtime.outbox


OutboxDep = Annotated[Outbox, Depends(outbox)]


async def actor(session: AsyncSession, who: Caller) -> Actor:
    return await actor_for(session, subject_id=who.subject_id)
