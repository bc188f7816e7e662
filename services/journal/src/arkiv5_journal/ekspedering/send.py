"""The ekspedere command: send the letter to each external recipient once; internal-only letters are sent at once.

Never twice: a recipient whose letter is requested, waiting, accepted or delivered is left
out, so a repeated or concurrent ekspedere sends nothing new, and sending again after a
refusal reaches only the refused recipients. The journalpost row is locked first (concurrent
sendings of one journalpost queue), and the partial unique index on forsendelse_mottaker
refuses a second letter in flight to one recipient whatever happens.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.events.journal import DispatchRequested
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Conflict, NotFound, Unprocessable

from ..authz import access
from ..context import Context, now_utc
from ..dokument.documents import documents_for_dispatch
from ..domain import workflow
from ..domain.numbering import today_in_oslo
from ..domain.sending import EXTERNAL_RECIPIENTS, INTERNAL_RECIPIENTS
from ..errors import WrongStatus
from ..journalpost.status import set_status
from ..models import Forsendelse, ForsendelseMottaker, Journalpost
from ..store import forsendelser
from ..store.repository import get_saksmappe


def refuse_unless_sendable(journalpost: Journalpost) -> None:
    """409 with the journalstatuses sending starts from (`allowed`), as a refused status change answers."""
    kind = Journalposttype(journalpost.journalposttype)
    current = Journalstatus(journalpost.journalstatus)
    er_vedtak = journalpost.er_vedtak
    if workflow.may_send(kind, current, er_vedtak=er_vedtak):
        return
    need = "G (Godkjent av leder): a decision (vedtak) is sent only after the leader's approval" if er_vedtak \
        else "F (Ferdigstilt fra saksbehandler) or G (Godkjent av leder)"
    if kind is not Journalposttype.U:
        need = "an outgoing journalpost (type U)"
    raise WrongStatus(f"Cannot send a journalpost of type {kind.kode} in journalstatus {current.kode}; "
                      f"sending needs {need}.", journalstatus=current.kode,
                      allowed=sorted(s.kode for s in workflow.send_from(kind, er_vedtak=er_vedtak)))


async def ekspedere(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, dokumentobjekt_ids: list[UUID]
) -> list[ForsendelseMottaker]:
    """Request dispatch to the external recipients not yet sent to; answers each recipient's newest letter."""
    journalpost = await forsendelser.lock_journalpost(session, journalpost_id)
    if journalpost is None:
        raise NotFound("No journalpost has this systemID.")
    saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    resource = await access.journalpost_resource(session, journalpost, saksmappe, today_in_oslo())
    refuse_unless_sendable(journalpost)
    await access.authorize(session, caller, Action.SEND, resource)
    parts = await forsendelser.parts_of(session, journalpost_id)
    external = [p for p in parts if p.korrespondanseparttype in EXTERNAL_RECIPIENTS]
    if not external and not [p for p in parts if p.korrespondanseparttype in INTERNAL_RECIPIENTS]:
        raise Unprocessable("The journalpost has no recipient (korrespondanseparttype EM, EK, GM, IM or IK).")
    who = access.actor(caller)
    if not external:
        journalpost.sendt_dato = today_in_oslo()
        await set_status(session, ctx=ctx, journalpost=journalpost, to=Journalstatus.E, who=who)
        await session.flush()
        return []
    active = await forsendelser.active_recipients(session, journalpost_id)
    to_send = [p for p in external if p.system_id not in active]
    if not to_send:
        return await forsendelser.newest_per_recipient(session, journalpost_id)
    dokumenter = await documents_for_dispatch(session, journalpost_id=journalpost_id, chosen=dokumentobjekt_ids)
    if not dokumenter:
        raise Unprocessable("The journalpost has no document to send; upload the letter first.")
    now = now_utc()
    forsendelse = Forsendelse(journalpost_id=journalpost_id, requested_at=now, requested_by=who)
    session.add(forsendelse)
    await session.flush()
    for part in to_send:
        session.add(ForsendelseMottaker(dispatch_id=forsendelse.dispatch_id, journalpost_id=journalpost_id,
                                        korrespondansepart_id=part.system_id, state="requested",
                                        requested_at=now, changed_at=now))
        part.forsendelse_status = "requested"
        part.forsendelse_feilkode = None
        part.forsendelse_feil = None
    journalpost.har_forsendelsesfeil = False
    try:
        await session.flush()
    except IntegrityError:
        # Only when the lock could not serialise (another writer outside ekspedere): nothing is sent.
        raise Conflict("A letter to one of the recipients is already on its way; nothing was sent. "
                       f"GET /journalposter/{journalpost_id}/forsendelser shows each recipient's state.") from None
    await ctx.outbox.add(session, DispatchRequested(
        dispatch_id=forsendelse.dispatch_id, journalpost_id=journalpost_id,
        recipient_ids=[p.system_id for p in to_send], dokumentobjekt_ids=dokumenter))
    return await forsendelser.newest_per_recipient(session, journalpost_id)
