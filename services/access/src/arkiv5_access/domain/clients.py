"""A client's secret rotated without an outage: a second secret beside the first, then the
first retired. Both open while the service's Secret is updated and its pods restart."""

from __future__ import annotations

import secrets
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.errors import Conflict, NotFound

from ..models import Account
from . import audit
from .secrets import hash_secret


async def _client(session: AsyncSession, client_id: str) -> Account:
    account = await session.scalar(
        select(Account).where(col(Account.client_id) == client_id, col(Account.kind) == "client").with_for_update())
    if account is None:
        raise NotFound("No such client.")
    return account


async def add_secret(session: AsyncSession, *, client_id: str, by: UUID | None) -> tuple[Account, str]:
    """A second secret (returned once); the first keeps working until it is retired."""
    account = await _client(session, client_id)
    if account.next_secret_hash is not None:
        raise Conflict("The client has a second secret already: retire the first one, then add another.")
    secret = secrets.token_urlsafe(32)
    account.next_secret_hash = hash_secret(secret)
    await session.flush()
    await audit.record(session, action="client.secret-added", outcome="allowed", actor_id=by, subject_id=account.id)
    return account, secret


async def retire_first_secret(session: AsyncSession, *, client_id: str, by: UUID | None) -> Account:
    """From now only the second secret opens; it becomes the client's one secret."""
    account = await _client(session, client_id)
    if account.next_secret_hash is None:
        raise Conflict("The client has one secret only: add a second one before retiring the first.")
    account.secret_hash, account.next_secret_hash = account.next_secret_hash, None
    await session.flush()
    await audit.record(session, action="client.secret-retired", outcome="allowed", actor_id=by, subject_id=account.id)
    return account
