"""Idempotent creation: an `Idempotency-Key` makes a retried create return the first result.

A key belongs to the calling client (the token's `sub`) and is stored with a fingerprint of
the request (SHA-256 of its canonical form) and the object it created, in the same
transaction as the object. A repeat with the same request answers the first status and
the object as it is now; the same key with a different request is refused and writes
nothing. Two concurrent requests with one key meet at the table's primary key: the loser's
transaction rolls back and it answers as a repeat.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.db import Database
from arkiv5_kit.errors import Unprocessable

from .errors import IdempotencyKeyReused
from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200

T = TypeVar("T")


@dataclass(frozen=True)
class Requested:
    """The key a client sent, and the fingerprint of the request it sent it with."""

    client: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Replayed:
    """The key was used before for this request: what it created, and the status it answered."""

    resource_id: UUID
    status_code: int


def fingerprint(operation: str, body: Any, files: Sequence[tuple[str, str]] = ()) -> str:
    """SHA-256 of the operation, the request body as canonical JSON, and each file's (name, SHA-256)."""
    canonical = json.dumps({"operation": operation, "body": body, "files": [list(f) for f in files]},
                           sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def requested(header: str | None, caller: Caller, fingerprint: Callable[[], str]) -> Requested | None:
    """The request's key, or None without the header. The key itself is never echoed back.

    `fingerprint` is called only when there is a key: a request without one (most of them)
    spends nothing on serialising and hashing its body.
    """
    if header is None:
        return None
    key = header.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise Unprocessable(
            f"The {HEADER} header must hold 1 to {MAX_KEY_LENGTH} printable characters.",
            errors=[{"field": f"header.{HEADER}", "message": f"1 to {MAX_KEY_LENGTH} printable characters",
                     "code": "invalid_idempotency_key"}])
    return Requested(client=caller.subject, key=key, fingerprint=fingerprint())


async def replayed(session: AsyncSession, key: Requested) -> Replayed | None:
    """What the key created before, or None if it is new; a different request under it is refused."""
    row = await session.get(IdempotencyKey, (key.client, key.key))
    if row is None:
        return None
    if row.fingerprint != key.fingerprint:
        raise IdempotencyKeyReused(f"This {HEADER} was used before for a different request; nothing was written.")
    return Replayed(resource_id=row.resource_id, status_code=row.status_code)


async def record(session: AsyncSession, key: Requested, *, resource_id: UUID, status_code: int) -> None:
    session.add(IdempotencyKey(client=key.client, key=key.key, fingerprint=key.fingerprint,
                               resource_id=resource_id, status_code=status_code, created_at=datetime.now(UTC)))
    await session.flush()


async def create_once(database: Database, key: Requested | None, status_code: int,
                      create: Callable[[AsyncSession], Awaitable[tuple[T, UUID]]]) -> T | Replayed:
    """Run `create` (which returns its result and the created object's id) in one unit of work, once per key.

    Without a key it simply runs. With one seen before it answers `Replayed` and creates
    nothing; when a concurrent request with the key commits first, this one rolls back and
    answers `Replayed` too.
    """
    try:
        async with database.unit_of_work() as session:
            if key is not None and (before := await replayed(session, key)) is not None:
                return before
            result, resource_id = await create(session)
            if key is not None:
                await record(session, key, resource_id=resource_id, status_code=status_code)
            return result
    except IntegrityError:
        if key is None:
            raise
        async with database.unit_of_work() as session:
            before = await replayed(session, key)
        if before is None:
            raise
        return before
