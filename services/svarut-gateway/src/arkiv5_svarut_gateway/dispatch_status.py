"""What the gateway knows about each dispatch, per recipient: the read side of the state machine.

Only ids, codes and the case-handler texts of refusals (which never hold personal data);
names and addresses are not stored here at all.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_kit.errors import NotFound

from .models import DispatchState as S
from .models import Forsendelse
from .service import aware

MAX_DISPATCHES_PER_JOURNALPOST = 500


class RecipientStatus(BaseModel):
    recipient_id: UUID = Field(description="The korrespondansepart's systemID")
    state: str = Field(description="PENDING, SENDING, UNCERTAIN, ACCEPTED, COMPLETED or REJECTED")
    channel: str | None = Field(description="person, organisasjon or print, once decided")
    svarut_id: UUID | None = Field(description="SvarUt's forsendelse id, once SvarUt has taken the letter")
    svarut_status: str | None = Field(description="SvarUt's last reported status, e.g. LEVERT_SDP, PRINTET")
    status_changed_at: datetime | None
    accepted_at: datetime | None
    reason_code: str | None = Field(description="Why the letter was refused (REJECTED only)")
    rejection_reason: str | None = Field(description="What the case handler can do about it (REJECTED only)")
    send_attempts: int
    updated_at: datetime


class DispatchView(BaseModel):
    dispatch_id: UUID
    journalpost_id: UUID
    created_at: datetime
    recipients: list[RecipientStatus]


def _recipient(row: Forsendelse) -> RecipientStatus:
    rejected = row.state == S.REJECTED
    return RecipientStatus(
        recipient_id=row.recipient_id, state=row.state, channel=row.channel, svarut_id=row.svarut_id,
        svarut_status=row.svarut_status, status_changed_at=aware(row.status_changed_at),
        accepted_at=aware(row.accepted_at), reason_code=row.reason_code if rejected else None,
        # last_error holds the refusal text when rejected; otherwise it is an operator's detail.
        rejection_reason=row.last_error if rejected else None,
        send_attempts=row.send_attempts, updated_at=aware(row.updated_at),  # type: ignore[arg-type]
    )


def _views(rows: list[Forsendelse]) -> list[DispatchView]:
    views: dict[UUID, DispatchView] = {}
    for row in rows:
        view = views.get(row.dispatch_id)
        if view is None:
            view = views[row.dispatch_id] = DispatchView(
                dispatch_id=row.dispatch_id, journalpost_id=row.journalpost_id,
                created_at=aware(row.created_at), recipients=[],  # type: ignore[arg-type]
            )
        view.created_at = min(view.created_at, aware(row.created_at))  # type: ignore[type-var]
        view.recipients.append(_recipient(row))
    return list(views.values())


async def get_dispatch(session: AsyncSession, *, dispatch_id: UUID) -> DispatchView:
    rows = list((await session.execute(
        select(Forsendelse).where(Forsendelse.dispatch_id == dispatch_id)
        .order_by(Forsendelse.created_at, Forsendelse.recipient_id)  # type: ignore[arg-type]
    )).scalars())
    if not rows:
        raise NotFound("The SvarUt gateway has no dispatch with that id.", dispatch_id=str(dispatch_id))
    return _views(rows)[0]


async def dispatches_of_journalpost(session: AsyncSession, *, journalpost_id: UUID) -> list[DispatchView]:
    """Newest first; an empty list when the journalpost was never dispatched."""
    rows = list((await session.execute(
        select(Forsendelse).where(Forsendelse.journalpost_id == journalpost_id)
        .order_by(Forsendelse.created_at.desc(), Forsendelse.dispatch_id, Forsendelse.recipient_id)  # type: ignore[attr-defined]
        .limit(MAX_DISPATCHES_PER_JOURNALPOST * 10)
    )).scalars())
    return _views(rows)[:MAX_DISPATCHES_PER_JOURNALPOST]
