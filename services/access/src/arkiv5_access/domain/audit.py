"""The sporingslogg: every grant, change, approval and denied screened read, listable.

Entries hold ids, codes, rule ids and outcomes only; never names, titles or content.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.context import correlation_id_var

from ..models import AuditEntry


async def record(
    session: AsyncSession, *, action: str, outcome: str, actor_id: UUID | None, service: str = "access",
    subject_id: UUID | None = None, object_type: str | None = None, object_id: UUID | None = None,
    access_code: str | None = None, rule: str | None = None, occurred_at: datetime | None = None,
    correlation_id: UUID | None = None, details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        occurred_at=occurred_at or clock.now(), service=service, action=action, outcome=outcome, actor_id=actor_id,
        subject_id=subject_id, object_type=object_type, object_id=object_id, access_code=access_code, rule=rule,
        correlation_id=correlation_id or correlation_id_var.get(), details=details or {},
    )
    session.add(entry)
    await session.flush()
    return entry


DENIALS = "arkiv5.access.audit_denials"


def record_denial(session: AsyncSession, **fields: Any) -> None:
    """A refusal is logged even though the refused request rolls back: the entry is kept
    on the session and written in its own transaction after the rollback (see api.deps)."""
    fields.setdefault("occurred_at", clock.now())
    fields.setdefault("correlation_id", correlation_id_var.get())
    session.info.setdefault(DENIALS, []).append({"outcome": "denied", **fields})


async def write_denials(session: AsyncSession, denials: list[dict[str, Any]]) -> None:
    for fields in denials:
        await record(session, **fields)


async def entries(
    session: AsyncSession, *, actor_id: UUID | None = None, subject_id: UUID | None = None,
    object_id: UUID | None = None, action: str | None = None, outcome: str | None = None,
    since: datetime | None = None, until: datetime | None = None, limit: int = 100, offset: int = 0,
) -> list[AuditEntry]:
    query = select(AuditEntry)
    for column, value in (
        (col(AuditEntry.actor_id), actor_id), (col(AuditEntry.subject_id), subject_id), (col(AuditEntry.object_id), object_id),
        (col(AuditEntry.action), action), (col(AuditEntry.outcome), outcome),
    ):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(col(AuditEntry.occurred_at) >= since)
    if until is not None:
        query = query.where(col(AuditEntry.occurred_at) < until)
    query = query.order_by(col(AuditEntry.occurred_at).desc(), col(AuditEntry.id)).limit(limit).offset(offset)
    return list((await session.scalars(query)).all())
