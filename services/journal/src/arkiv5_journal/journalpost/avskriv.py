"""Signing off (avskrivning) an incoming document or a note that needs follow-up, and deleting a sign-off."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Journalposttype, Journalstatus
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import NotFound

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


async def slett_avskrivning(
    session: AsyncSession, *, caller: Caller, journalpost_id: UUID, avskrivning_id: UUID
) -> None:
    """Delete a sign-off made in error: the journalpost is outstanding again (restanse).

    The same right as signing off (update of the journalpost), so not in a closed case; the
    change log keeps what the avskrivning was, by whom and when it was deleted.
    """
    journalpost, _, resource = await journalpost_and_resource(session, journalpost_id)
    avskrivning = await session.get(Avskrivning, avskrivning_id)
    if avskrivning is None or avskrivning.journalpost_id != journalpost.system_id:
        raise NotFound("The journalpost has no such avskrivning.")
    await access.authorize(session, caller, Action.UPDATE, resource)
    # Logged on the journalpost, whose log is read (the avskrivning's own id is gone after this).
    was = f"{avskrivning.avskrivningsmaate} {avskrivning.avskrivningsdato.isoformat()} {avskrivning.avskrevet_av}"
    await changelog.changed(session, journalpost, "journalpost", who=access.actor(caller),
                            changes={"avskrivning": (was, None)})
    await session.delete(avskrivning)
    await session.flush()
