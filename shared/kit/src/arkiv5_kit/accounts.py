"""Disabled accounts, as the access service's AccountDisabled events tell them.

Every service that checks tokens keeps this one small read model (a table of its own with a
person id and the date the account is disabled from), so that a disabled account's token,
still within its lifetime, gets the 401 of every invalid token in every service — not only
in the one that happens to know about accounts. The service declares the table; this module
records the events into it and answers the token check from it (`app.state.account_disabled`,
see `auth.require_scopes`).
"""

from __future__ import annotations

from datetime import date
from typing import Any, Protocol, TypeVar, cast
from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.claims import TokenClaims
from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.access import AccountDisabled

from .auth import AccountCheck
from .clock import SYSTEM_CLOCK, Clock
from .consumer import Handler
from .db import READ_ONLY, Database
from .service import ServiceRuntime


class DisabledAccountRow(Protocol):
    """A service's table of disabled accounts: the person (or client account) and the first day."""

    person_id: UUID
    disabled_from: date

    def __init__(self, *, person_id: UUID, disabled_from: date) -> None: ...


Row = TypeVar("Row", bound=DisabledAccountRow)


def recorder(model: type[Row]) -> Handler:
    """The consumer handler for AccountDisabled: idempotent, and the earliest date wins (a
    repeated or reordered event never re-enables an account)."""

    async def record(session: AsyncSession, envelope: Envelope[Any]) -> None:
        event: AccountDisabled = envelope.data
        row = await session.get(model, event.person_id)
        if row is None:
            session.add(model(person_id=event.person_id, disabled_from=event.disabled_from))
        elif event.disabled_from < row.disabled_from:
            row.disabled_from = event.disabled_from
        await session.flush()

    return record


def subject_of(claims: TokenClaims) -> UUID | None:
    """Whose account a token speaks for: the person, or for a client token its account id (`sub`)."""
    if claims.person_id is not None:
        return claims.person_id
    try:
        return UUID(claims.sub)
    except ValueError:
        return None


def account_check(database: Database, model: type[Row], clock: Clock = SYSTEM_CLOCK) -> AccountCheck:
    """True when the token's account is disabled today (Oslo date), as AccountDisabled said.

    Every request asks, so it reads the one column with a statement built once, on a read
    connection (no ORM session, no identity map): what a read session would do, for less.
    """
    table = cast(Any, model).__table__
    query = select(table.c.disabled_from).where(table.c.person_id == bindparam("person_id"))
    options: dict[str, Any] = {READ_ONLY: True}
    if database.is_postgres:
        options["postgresql_readonly"] = True

    async def disabled(claims: TokenClaims) -> bool:
        subject = subject_of(claims)
        if subject is None:
            return False
        async with database.engine.connect() as connection:
            connection = await connection.execution_options(**options)
            disabled_from = (await connection.execute(query, {"person_id": subject})).scalar_one_or_none()
            await connection.rollback()
        return disabled_from is not None and disabled_from <= clock.today()

    return disabled


def follow_disabled_accounts(runtime: ServiceRuntime, model: type[Row], clock: Clock = SYSTEM_CLOCK) -> AccountCheck:
    """For a service with no other use of the access events: a consumer (`<service>.accounts`)
    that keeps `model` from AccountDisabled, and the token check that reads it — to be set as
    `app.state.account_disabled`."""
    runtime.add_consumer("accounts", {AccountDisabled: recorder(model)})
    return account_check(runtime.database, model, clock)
