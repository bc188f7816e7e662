"""Signing off (avskrivning) an incoming document or a note that needs follow-up."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller

from ..authz import access
from ..context import Context
from ..domain.numbering import today_in_oslo
from ..errors import UnknownCode, WrongStatus
from ..models import Avskrivning, Journalpost
from ..schemas import AvskrivningIn
from ..store import changelog
from .status import journalpost_and_resource


async def avskriv(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, body: AvskrivningIn
) -> Avskrivning:
    journalpost, saksmappe, resource = await journalpost_and_resource(session, journalpost_id)
    if journalpost.journalposttype not in (Journalposttype.I.kode, Journalposttype.N.kode):
        raise WrongStatus("Only incoming documents (I) and notes needing follow-up (N) are signed off.")
    if journalpost.journalstatus == Journalstatus.U.kode:
        raise WrongStatus("A cancelled journalpost (U) is not signed off.")
    if body.referanse_avskrives_av_journalpost is not None:
        answer = await session.get(Journalpost, body.referanse_avskrives_av_journalpost)
        if answer is None:
            raise UnknownCode("referanseAvskrivesAvJournalpost names no journalpost.",
                              field="referanseAvskrivesAvJournalpost")
    await access.authorize(session, caller, Action.UPDATE, resource)
    avskrivning = Avskrivning(
        journalpost_id=journalpost_id, avskrivningsdato=body.avskrivningsdato or today_in_oslo(),
        avskrevet_av=access.actor(caller), avskrivningsmaate=body.avskrivningsmaate.kode,
        referanse_avskrives_av_journalpost=body.referanse_avskrives_av_journalpost)
    session.add(avskrivning)
    await session.flush()
    await changelog.created(session, (avskrivning, "avskrivning"), who=access.actor(caller))
    return avskrivning
