"""The ekspedere command: request dispatch to the external recipients; internal-only letters are sent at once."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.events.journal import DispatchRequested
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Unprocessable

from ..authz import access
from ..context import Context, now_utc
from ..dokument.documents import documents_for_dispatch
from ..domain import workflow
from ..domain.numbering import today_in_oslo
from ..domain.sending import EXTERNAL_RECIPIENTS, INTERNAL_RECIPIENTS
from ..errors import WrongStatus
from ..journalpost.status import journalpost_and_resource, set_status
from ..models import Forsendelse, Korrespondansepart


async def ekspedere(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, dokumentobjekt_ids: list[UUID]
) -> Forsendelse | None:
    """Request dispatch to the external recipients; internal-only letters are sent at once."""
    journalpost, _saksmappe, resource = await journalpost_and_resource(session, journalpost_id)
    kind = Journalposttype(journalpost.journalposttype)
    current = Journalstatus(journalpost.journalstatus)
    er_vedtak = journalpost.er_vedtak
    if not workflow.may_send(kind, current, er_vedtak=er_vedtak):
        need = "G (Godkjent av leder): a decision (vedtak) is sent only after the leader's approval" if er_vedtak \
            else "F (Ferdigstilt fra saksbehandler) or G (Godkjent av leder)"
        if kind is not Journalposttype.U:
            need = "an outgoing journalpost (type U)"
        raise WrongStatus(f"Cannot send a journalpost of type {kind.kode} in journalstatus {current.kode}; "
                          f"sending needs {need}.")
    await access.authorize(session, caller, Action.SEND, resource)
    parts = list((await session.execute(
        select(Korrespondansepart).where(col(Korrespondansepart.journalpost_id) == journalpost_id))).scalars())
    external = [p for p in parts if p.korrespondanseparttype in EXTERNAL_RECIPIENTS]
    if not external and not [p for p in parts if p.korrespondanseparttype in INTERNAL_RECIPIENTS]:
        raise Unprocessable("The journalpost has no recipient (korrespondanseparttype EM, EK, GM, IM or IK).")
    who = access.actor(caller)
    if not external:
        journalpost.sendt_dato = today_in_oslo()
        await set_status(session, ctx=ctx, journalpost=journalpost, to=Journalstatus.E, who=who)
        await session.flush()
        return None
    dokumenter = await documents_for_dispatch(session, journalpost_id=journalpost_id, chosen=dokumentobjekt_ids)
    if not dokumenter:
        raise Unprocessable("The journalpost has no document to send; upload the letter first.")
    forsendelse = Forsendelse(journalpost_id=journalpost_id, requested_at=now_utc(), requested_by=who)
    session.add(forsendelse)
    for part in external:
        part.forsendelse_status = "requested"
        part.forsendelse_feilkode = None
        part.forsendelse_feil = None
    journalpost.har_forsendelsesfeil = False
    await session.flush()
    await ctx.outbox.add(session, DispatchRequested(
        dispatch_id=forsendelse.dispatch_id, journalpost_id=journalpost_id,
        recipient_ids=[p.system_id for p in external], dokumentobjekt_ids=dokumenter))
    return forsendelse
