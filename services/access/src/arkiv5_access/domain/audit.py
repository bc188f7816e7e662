"""The sporingslogg: every grant, change, approval, and every read of screened content, listable.

Entries hold ids, codes, rule ids and outcomes only; never names, titles or content. The
reads of screened content come from the journal as events (one per request or batch) and
are kept once each; the arkivleder searches them per person and per object; entries older
than the retention are deleted by a periodic job.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.events.audit import ScreenedReadsLogged
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.context import correlation_id_var
from arkiv5_kit.dml import insert_ignore
from arkiv5_kit.errors import Forbidden

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


# --- the sporingslogg of screened reads (from the journal's ScreenedReadsLogged events) ----

SCREENED_READ = "screened.read"
"""The action of a read of screened content; `screened.answer` for the answer to a write."""


async def record_screened_reads(session: AsyncSession, event: ScreenedReadsLogged) -> int:
    """Each read once (its read id is the entry's id): a replayed event adds nothing. Returns the rows added."""
    rows = [{
        "id": read.read_id, "occurred_at": read.occurred_at, "service": "journal",
        "action": f"screened.{read.action}"[:60], "outcome": read.outcome, "actor_id": read.person_id,
        "subject_id": None, "object_type": read.object_type, "object_id": read.object_id,
        "access_code": read.access_code, "rule": read.rule, "correlation_id": read.correlation_id,
        "details": {"saksmappe_id": str(read.saksmappe_id), **({"client_id": read.client_id} if read.client_id else {})},
    } for read in event.reads]
    result = await session.execute(insert_ignore(AuditEntry, rows))
    return int(getattr(result, "rowcount", 0) or 0)


async def screened_reads(session: AsyncSession, *, person_id: UUID | None, object_id: UUID | None,
                         limit: int, offset: int) -> tuple[list[AuditEntry], int]:
    """The sporingslogg of screened reads by one person and/or of one object (a case: also its
    journalposts), newest first; and how many there are in all."""
    query = select(AuditEntry).where(col(AuditEntry.action).startswith("screened."))
    if person_id is not None:
        query = query.where(col(AuditEntry.actor_id) == person_id)
    if object_id is not None:
        query = query.where(or_(col(AuditEntry.object_id) == object_id,
                                col(AuditEntry.details)["saksmappe_id"].as_string() == str(object_id)))
    total = (await session.execute(select(func.count()).select_from(query.subquery()))).scalar_one()
    page = query.order_by(col(AuditEntry.occurred_at).desc(), col(AuditEntry.id)).limit(limit).offset(offset)
    return list((await session.scalars(page)).all()), int(total)


async def purge_screened_reads(session: AsyncSession, *, older_than: datetime) -> int:
    """Delete the screened-read entries older than the retention (the periodic job)."""
    result = await session.execute(delete(AuditEntry).where(
        col(AuditEntry.action).startswith("screened."), col(AuditEntry.occurred_at) < older_than))
    return int(getattr(result, "rowcount", 0) or 0)


def require_arkivleder(roles: frozenset[str]) -> None:
    """The sporingslogg of screened reads is the arkivleder's to search."""
    if "arkivleder" not in roles:
        raise Forbidden("Searching the sporingslogg needs the role arkivleder.")
