"""The SvarUt gateway's receipts (consumed events), per recipient: waiting (and why), accepted, delivered, refused.

Each receipt updates the recipient's letter of that dispatch (forsendelse_mottaker) and the
korrespondansepart's summary. Receipts are idempotent and tolerate order: a late "waiting"
never overwrites an acceptance, and a delivered letter stays delivered.
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalstatus

from ..context import Context, now_utc
from ..domain.sending import EXTERNAL_RECIPIENTS
from ..journalpost.status import set_status
from ..models import ForsendelseMottaker, Journalpost, Korrespondansepart
from ..store import changelog, forsendelser


def _mark(letter: ForsendelseMottaker | None, state: str, *, reason_code: str | None = None,
          reason: str | None = None, at: datetime | None = None) -> None:
    if letter is None:
        return
    letter.state = state
    letter.reason_code = reason_code[:100] if reason_code else None
    letter.reason = reason[:500] if reason else None
    letter.changed_at = at or now_utc()


async def on_dispatch_waiting(session: AsyncSession, *, dispatch_id: UUID, journalpost_id: UUID, recipient_id: UUID,
                              code: str, reason: str, since: datetime) -> None:
    """The letter is not on its way yet (no certificate, SvarUt unreachable): the reason, beside the recipient."""
    letter = await forsendelser.letter(session, dispatch_id, recipient_id)
    if letter is None or letter.journalpost_id != journalpost_id or letter.state not in ("requested", "waiting"):
        return
    _mark(letter, "waiting", reason_code=code, reason=reason, at=since)
    await session.flush()


async def on_dispatch_accepted(session: AsyncSession, *, ctx: Context, dispatch_id: UUID, journalpost_id: UUID,
                               recipient_id: UUID, accepted_on: date) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    journalpost = await session.get(Journalpost, journalpost_id)
    if part is None or journalpost is None or part.journalpost_id != journalpost_id:
        return  # not ours (or a test message): nothing to record
    letter = await forsendelser.letter(session, dispatch_id, recipient_id)
    if letter is not None and letter.state != "delivered":
        _mark(letter, "accepted")
    if part.forsendelse_status not in ("delivered",):
        part.forsendelse_status = "accepted"
    await session.flush()
    parts = (await session.execute(select(Korrespondansepart).where(
        col(Korrespondansepart.journalpost_id) == journalpost_id,
        col(Korrespondansepart.korrespondanseparttype).in_(EXTERNAL_RECIPIENTS)))).scalars()
    if all(p.forsendelse_status in ("accepted", "delivered") for p in parts) and journalpost.journalstatus in (
        Journalstatus.F.kode, Journalstatus.G.kode
    ):
        journalpost.sendt_dato = accepted_on
        await set_status(session, ctx=ctx, journalpost=journalpost, to=Journalstatus.E, who="svarut-gateway")
        await session.flush()


async def on_dispatch_failed(session: AsyncSession, *, dispatch_id: UUID, journalpost_id: UUID, recipient_id: UUID,
                             code: str, reason: str) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    journalpost = await session.get(Journalpost, journalpost_id)
    if part is None or journalpost is None or part.journalpost_id != journalpost_id:
        return
    letter = await forsendelser.letter(session, dispatch_id, recipient_id)
    if letter is not None and letter.state == "rejected" and letter.reason_code == code[:100]:
        return  # the same refusal again
    _mark(letter, "rejected", reason_code=code, reason=reason)
    part.forsendelse_status = "rejected"
    part.forsendelse_feilkode = code[:100]
    part.forsendelse_feil = reason[:500]
    journalpost.har_forsendelsesfeil = True
    await changelog.changed(session, journalpost, "journalpost", who="svarut-gateway",
                            changes={"forsendelse": (None, f"rejected: {code}")})
    await session.flush()


async def on_dispatch_status(session: AsyncSession, *, dispatch_id: UUID, journalpost_id: UUID, recipient_id: UUID,
                             status: str, is_terminal: bool) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    if part is None or part.journalpost_id != journalpost_id:
        return
    if status.upper().startswith("IKKE_LEVERT"):
        await on_dispatch_failed(session, dispatch_id=dispatch_id, journalpost_id=journalpost_id,
                                 recipient_id=recipient_id, code=status[:100],
                                 reason="SvarUt could not deliver the letter.")
    elif is_terminal:
        part.forsendelse_status = "delivered"
        _mark(await forsendelser.letter(session, dispatch_id, recipient_id), "delivered")
        await session.flush()
