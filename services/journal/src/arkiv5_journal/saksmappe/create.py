"""Creating a saksmappe: its structure, screening (a client's case always screened) and number."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from arkiv5_contracts.codelists import Saksstatus
from arkiv5_contracts.events.journal import SaksmappeOpened
from arkiv5_contracts.policy import Action, Resource, ResourceKind
from arkiv5_kit.auth import Principal as Caller

from ..arkivstruktur.structure import ensure_default_structure
from ..authz import access
from ..context import Context, now_utc
from ..domain import screening
from ..domain.numbering import SAKSNUMMER, next_number, today_in_oslo
from ..errors import UnknownCode, WrongStatus
from ..models import Arkivdel, Part, Saksmappe
from ..schemas import SaksmappeCreate, SkjermingIn
from ..store import changelog
from ..store.repository import klasse_by_id


def skjerming_values(skjerming: SkjermingIn | None) -> dict[str, Any]:
    if skjerming is None:
        return {"tilgangsrestriksjon": None, "skjermingshjemmel": None, "skjerming_metadata": [],
                "skjerming_opphoerer_dato": None}
    return {
        "tilgangsrestriksjon": skjerming.tilgangsrestriksjon,
        "skjermingshjemmel": skjerming.skjermingshjemmel,
        "skjerming_metadata": sorted({code.kode for code in skjerming.skjerming_metadata}),
        "skjerming_opphoerer_dato": skjerming.skjerming_opphoerer_dato,
    }


public_title = screening.chosen_public_title


async def create_saksmappe(
    session: AsyncSession, *, ctx: Context, caller: Caller, body: SaksmappeCreate
) -> Saksmappe:
    today = today_in_oslo()
    if body.arkivdel is None:
        arkivdel = await ensure_default_structure(session, ctx=ctx)
    else:
        chosen = await session.get(Arkivdel, body.arkivdel)
        if chosen is None:
            raise UnknownCode("No arkivdel has this systemID.", field="arkivdel")
        arkivdel = chosen
    if arkivdel.arkivdelstatus != "A":
        # Noark 5: only an active period (A) takes new mapper; an overlapping (O) or closed (P) one does not.
        raise WrongStatus(f"The arkivdel is not in its active period (arkivdelstatus {arkivdel.arkivdelstatus}): it "
                          "takes no new cases; file them in the current period's arkivdel.")
    klasse = None
    if body.klasse is not None:
        if arkivdel.klassifikasjonssystem_id is not None:
            klasse = await klasse_by_id(session, arkivdel.klassifikasjonssystem_id, body.klasse)
        if klasse is None:
            raise UnknownCode("body.klasse is not a klasseID of the arkivdel's klassifikasjonssystem (GET /klasser lists them).",
                              field="klasse")
    skjerming = skjerming_values(body.skjerming)
    await access.require_known_code(session, skjerming["tilgangsrestriksjon"], field="body.skjerming.tilgangsrestriksjon")
    skjermede_ord = list(body.skjermede_ord)
    if body.klient is not None:
        # A client's case is always screened; the name is never in the public title.
        skjerming = {
            "tilgangsrestriksjon": skjerming["tilgangsrestriksjon"] or ctx.settings.client_case_tilgangsrestriksjon,
            "skjermingshjemmel": skjerming["skjermingshjemmel"] or ctx.settings.client_case_skjermingshjemmel,
            "skjerming_metadata": sorted(set(skjerming["skjerming_metadata"]) | {"TMO", "NPS", "KID"}),
            "skjerming_opphoerer_dato": skjerming["skjerming_opphoerer_dato"],
        }
        skjermede_ord += [body.klient.part_navn, *body.klient.part_navn.split()]
    offentlig_tittel = public_title(body.tittel, body.offentlig_tittel, skjermede_ord,
                                     skjerming["skjerming_metadata"], screening.TITLE_CODES_MAPPE)
    system_id = uuid.uuid4()
    # Creating a case is creating its first registration: the policy's create-journalpost
    # rule for the case about to exist.
    await access.authorize(session, caller, Action.CREATE_JOURNALPOST, Resource(
        kind=ResourceKind.SAKSMAPPE, id=system_id, unit_id=body.administrativ_enhet,
        saksansvarlig_id=body.saksansvarlig, access_code=skjerming["tilgangsrestriksjon"],
        saksstatus=Saksstatus.B))
    saksaar = today.year
    sakssekvensnummer = await next_number(session, serie=SAKSNUMMER, aar=saksaar)
    saksmappe = Saksmappe(
        system_id=system_id, arkivdel_id=arkivdel.system_id, klasse_id=klasse.system_id if klasse else None,
        mappe_id=f"{saksaar}/{sakssekvensnummer}", saksaar=saksaar, sakssekvensnummer=sakssekvensnummer,
        saksdato=body.saksdato or today, tittel=body.tittel, offentlig_tittel=offentlig_tittel,
        administrativ_enhet_id=body.administrativ_enhet, saksansvarlig_id=body.saksansvarlig,
        saksstatus=Saksstatus.B.kode,
        sekundaer_klassifikasjon=body.klient.foedselsnummer if body.klient else None,
        opprettet_dato=now_utc(), opprettet_av=access.actor(caller), **skjerming,
    )
    session.add(saksmappe)
    await session.flush()  # no ORM relationships: insert the parent before its parts
    if body.klient is not None:
        session.add(Part(saksmappe_id=system_id, part_navn=body.klient.part_navn, part_rolle="KLI",
                         foedselsnummer=body.klient.foedselsnummer))
    await session.flush()
    await changelog.created(session, (saksmappe, "saksmappe"), who=access.actor(caller))
    await ctx.outbox.add(session, SaksmappeOpened(
        saksmappe_id=system_id, saksaar=saksaar, sakssekvensnummer=sakssekvensnummer,
        administrativ_enhet_id=body.administrativ_enhet, saksstatus=Saksstatus.B))
    return saksmappe
