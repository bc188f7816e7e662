"""What the gateway knows about each dispatch, per recipient: the read side of the state machine.

Only ids, codes and the case-handler texts of refusals (which never hold personal data);
names and addresses are not stored here at all.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.errors import NotFound

from . import metrics
from .domain import reasons
from .models import DispatchState as S
from .models import Forsendelse
from .service import aware, now

MAX_DISPATCHES_PER_JOURNALPOST = 500


class RecipientStatus(BaseModel):
    recipient_id: UUID = Field(description="The korrespondansepart's systemID")
    state: str = Field(description="PENDING, SENDING, UNCERTAIN, ACCEPTED, COMPLETED or REJECTED")
    channel: str | None = Field(description="person, organisasjon or print, once decided")
    svarut_id: UUID | None = Field(description="SvarUt's forsendelse id, once SvarUt has taken the letter")
    svarut_status: str | None = Field(description="SvarUt's last reported status, e.g. LEVERT_SDP, PRINTET")
    status_changed_at: datetime | None
    accepted_at: datetime | None
    reason_code: str | None = Field(
        description="Why the letter waits (PENDING, SENDING, UNCERTAIN), was refused (REJECTED) or needs a look "
                    "after SvarUt took it (e.g. not-delivered); null when all is well"
    )
    reason: str | None = Field(description="What happens and what a person can do about it; never personal data")
    waiting_since: datetime | None = Field(description="Since when this reason holds")
    next_attempt_at: datetime | None = Field(description="When the gateway tries again (waiting letters only)")
    rejection_reason: str | None = Field(description="What the case handler can do about it (REJECTED only)")
    send_attempts: int
    updated_at: datetime


class DispatchView(BaseModel):
    dispatch_id: UUID
    journalpost_id: UUID
    created_at: datetime
    recipients: list[RecipientStatus]


WAITING_STATES = (S.PENDING, S.SENDING, S.UNCERTAIN)


def _recipient(row: Forsendelse) -> RecipientStatus:
    rejected = row.state == S.REJECTED
    waiting = row.state in WAITING_STATES
    # last_error holds the sentence of the reason (reason_code) whenever one is set.
    reason = row.last_error if row.reason_code else None
    return RecipientStatus(
        recipient_id=row.recipient_id, state=row.state, channel=row.channel, svarut_id=row.svarut_id,
        svarut_status=row.svarut_status, status_changed_at=aware(row.status_changed_at),
        accepted_at=aware(row.accepted_at), reason_code=row.reason_code, reason=reason,
        waiting_since=aware(row.reason_since) if row.reason_code else None,
        next_attempt_at=aware(row.due_at) if waiting and row.reason_code else None,
        rejection_reason=reason if rejected else None,
        send_attempts=row.send_attempts, updated_at=_aware(row.updated_at),
    )


def _aware(value: datetime) -> datetime:
    result = aware(value)
    assert result is not None
    return result


def _views(rows: list[Forsendelse]) -> list[DispatchView]:
    views: dict[UUID, DispatchView] = {}
    for row in rows:
        view = views.get(row.dispatch_id)
        if view is None:
            view = views[row.dispatch_id] = DispatchView(
                dispatch_id=row.dispatch_id, journalpost_id=row.journalpost_id,
                created_at=_aware(row.created_at), recipients=[],
            )
        view.created_at = min(view.created_at, _aware(row.created_at))
        view.recipients.append(_recipient(row))
    return list(views.values())


async def get_dispatch(session: AsyncSession, *, dispatch_id: UUID) -> DispatchView:
    rows = list((await session.execute(
        select(Forsendelse).where(col(Forsendelse.dispatch_id) == dispatch_id)
        .order_by(col(Forsendelse.created_at), col(Forsendelse.recipient_id))
    )).scalars())
    if not rows:
        raise NotFound("The SvarUt gateway has no dispatch with that id.", dispatch_id=str(dispatch_id))
    return _views(rows)[0]


async def dispatches_of_journalpost(session: AsyncSession, *, journalpost_id: UUID) -> list[DispatchView]:
    """Newest first; an empty list when the journalpost was never dispatched."""
    rows = list((await session.execute(
        select(Forsendelse).where(col(Forsendelse.journalpost_id) == journalpost_id)
        .order_by(col(Forsendelse.created_at).desc(), col(Forsendelse.dispatch_id), col(Forsendelse.recipient_id))
        .limit(MAX_DISPATCHES_PER_JOURNALPOST * 10)
    )).scalars())
    return _views(rows)[:MAX_DISPATCHES_PER_JOURNALPOST]


async def waiting_by_reason(session: AsyncSession) -> dict[str, tuple[int, datetime | None]]:
    """Per reason code: how many letters wait and since when the oldest does — one aggregate query."""
    rows = await session.execute(
        select(col(Forsendelse.reason_code), func.count(), func.min(col(Forsendelse.reason_since)))
        .where(col(Forsendelse.state).in_(WAITING_STATES), col(Forsendelse.reason_code).is_not(None))
        .group_by(col(Forsendelse.reason_code))
    )
    return {code: (count, aware(oldest)) for code, count, oldest in rows if code is not None}


async def refresh_waiting_gauges(session: AsyncSession) -> dict[str, int]:
    """Set the waiting gauges from the database; every known reason is exported, 0 when none waits."""
    counts = await waiting_by_reason(session)
    at = now()
    for code in {w.code for w in reasons.ALL} | set(counts):
        count, oldest = counts.get(code, (0, None))
        metrics.WAITING.labels(metrics.SERVICE, code).set(count)
        metrics.OLDEST_WAITING.labels(metrics.SERVICE, code).set(
            max(0.0, (at - oldest).total_seconds()) if oldest is not None else 0.0)
    return {code: count for code, (count, _) in counts.items()}
