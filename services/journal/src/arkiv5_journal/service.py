"""The journal's routines: cases, journalposts, status, sending, sign-off and closing.

Keyword-only functions over an explicit session; the request (or consumed event) owns the
transaction and commits. Every check that can refuse runs before anything is written, and
numbers are taken last, because their row lock is held until commit.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Journalposttype, Journalstatus, Korrespondanseparttype, Saksstatus
from arkiv5_contracts.events.journal import (
    DispatchRequested,
    JournalpostStatusChanged,
    SaksmappeClosed,
    SaksmappeOpened,
)
from arkiv5_contracts.policy import Action, Resource, ResourceKind
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.dml import insert_ignore
from arkiv5_kit.errors import Conflict, NotFound, Unprocessable

from .authz import access
from .context import Context, now_utc
from .domain import screening, workflow
from .domain.numbering import SAKSNUMMER, next_number, today_in_oslo
from .errors import InvalidTransition, UnknownCode, WrongStatus
from .models import (
    Arkiv,
    Arkivdel,
    Avskrivning,
    Fordeling,
    Forsendelse,
    Journalpost,
    Klasse,
    Klassifikasjonssystem,
    Korrespondansepart,
    Merknad,
    Part,
    Saksmappe,
)
from .schemas import (
    AvskrivningIn,
    FordelingIn,
    JournalpostCreate,
    KlasseIn,
    MerknadIn,
    SaksmappeCreate,
    SkjermingIn,
)
from .store import changelog, search
from .store.repository import get_journalpost, get_saksmappe

# Fixed ids of the structure created on first use, so concurrent first requests (or
# replicas) create it once.
_NS = uuid.UUID("6f3c1d0e-5a4b-4c2d-9e8f-0a1b2c3d4e5f")
DEFAULT_ARKIV_ID = uuid.uuid5(_NS, "arkiv")
DEFAULT_ARKIVDEL_ID = uuid.uuid5(_NS, "arkivdel")
DEFAULT_KLASSIFIKASJONSSYSTEM_ID = uuid.uuid5(_NS, "klassifikasjonssystem")

EXTERNAL_RECIPIENTS = {Korrespondanseparttype.EM.kode, Korrespondanseparttype.EK.kode, Korrespondanseparttype.GM.kode}
INTERNAL_RECIPIENTS = {Korrespondanseparttype.IM.kode, Korrespondanseparttype.IK.kode}


# --- structure --------------------------------------------------------------------------


async def ensure_default_structure(session: AsyncSession, *, ctx: Context) -> Arkivdel:
    arkivdel = await session.get(Arkivdel, DEFAULT_ARKIVDEL_ID)
    if arkivdel is not None:
        return arkivdel
    now = now_utc()
    common = {"opprettet_dato": now, "opprettet_av": "journal"}
    await session.execute(insert_ignore(Arkiv, {"system_id": DEFAULT_ARKIV_ID, "tittel": ctx.settings.default_arkiv_tittel,
                                                    "arkivstatus": "O", **common}))
    await session.execute(insert_ignore(Klassifikasjonssystem, {
        "system_id": DEFAULT_KLASSIFIKASJONSSYSTEM_ID, "tittel": "Arkivnøkkel", "klassifikasjonstype": "K-kode", **common}))
    await session.execute(insert_ignore(Arkivdel, {
        "system_id": DEFAULT_ARKIVDEL_ID, "arkiv_id": DEFAULT_ARKIV_ID, "tittel": ctx.settings.default_arkivdel_tittel,
        "arkivdelstatus": "A", "klassifikasjonssystem_id": DEFAULT_KLASSIFIKASJONSSYSTEM_ID, **common}))
    arkivdel = await session.get(Arkivdel, DEFAULT_ARKIVDEL_ID)
    assert arkivdel is not None
    return arkivdel


async def create_klasse(session: AsyncSession, *, ctx: Context, caller: Caller, body: KlasseIn) -> Klasse:
    arkivdel = await ensure_default_structure(session, ctx=ctx)
    assert arkivdel.klassifikasjonssystem_id is not None
    existing = await _klasse_by_id(session, arkivdel.klassifikasjonssystem_id, body.klasse_id)
    if existing is not None:
        raise Conflict(f"klasseID {body.klasse_id!r} already exists in the klassifikasjonssystem.")
    klasse = Klasse(klassifikasjonssystem_id=arkivdel.klassifikasjonssystem_id, klasse_id=body.klasse_id,
                    tittel=body.tittel, opprettet_dato=now_utc(), opprettet_av=access.actor(caller))
    session.add(klasse)
    await session.flush()
    return klasse


async def list_klasser(session: AsyncSession) -> list[Klasse]:
    return list((await session.execute(select(Klasse).order_by(col(Klasse.klasse_id)))).scalars())


async def _klasse_by_id(session: AsyncSession, system_id: UUID, klasse_id: str) -> Klasse | None:
    query = select(Klasse).where(col(Klasse.klassifikasjonssystem_id) == system_id, col(Klasse.klasse_id) == klasse_id)
    return (await session.execute(query)).scalar_one_or_none()


# --- saksmappe --------------------------------------------------------------------------


def skjerming_values(skjerming: SkjermingIn | None) -> dict[str, Any]:
    if skjerming is None:
        return {"tilgangsrestriksjon": None, "skjermingshjemmel": None, "skjerming_metadata": [],
                "skjerming_opphoerer_dato": None}
    return {
        "tilgangsrestriksjon": skjerming.tilgangsrestriksjon.kode,
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
    klasse = None
    if body.klasse is not None:
        if arkivdel.klassifikasjonssystem_id is not None:
            klasse = await _klasse_by_id(session, arkivdel.klassifikasjonssystem_id, body.klasse)
        if klasse is None:
            raise UnknownCode(f"klasse {body.klasse!r} is not a klasseID of the arkivdel's klassifikasjonssystem.",
                              field="klasse")
    skjerming = skjerming_values(body.skjerming)
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


async def close_saksmappe(
    session: AsyncSession, *, ctx: Context, caller: Caller, saksmappe_id: UUID, saksstatus: Saksstatus
) -> Saksmappe:
    if saksstatus not in (Saksstatus.A, Saksstatus.S):
        raise Unprocessable("A case is closed with saksstatus A (Avsluttet) or S (Avsluttet av saksbehandler).")
    saksmappe = await get_saksmappe(session, saksmappe_id)
    if saksmappe.saksstatus in (Saksstatus.A.kode, Saksstatus.U.kode):
        raise WrongStatus(f"The case is already closed (saksstatus {saksmappe.saksstatus}).")
    await access.authorize(session, caller, Action.CLOSE_CASE,
                           await access.saksmappe_resource(session, saksmappe, today_in_oslo()))
    outstanding = await _unsigned_in_case(session, saksmappe_id)
    if outstanding:
        raise WrongStatus(
            f"The case has {len(outstanding)} incoming document(s) not signed off (avskrevet): "
            f"journalpostnummer {', '.join(str(n) for n in outstanding)}.",
            journalpostnummer=outstanding,
        )
    today = today_in_oslo()
    await changelog.changed(session, saksmappe, "saksmappe", who=access.actor(caller), changes={
        "saksstatus": (saksmappe.saksstatus, saksstatus.kode), "avsluttetDato": (None, today.isoformat())})
    saksmappe.saksstatus = saksstatus.kode
    saksmappe.avsluttet_dato = today
    saksmappe.avsluttet_av = access.actor(caller)
    await ctx.outbox.add(session, SaksmappeClosed(
        saksmappe_id=saksmappe.system_id, saksaar=saksmappe.saksaar, sakssekvensnummer=saksmappe.sakssekvensnummer,
        administrativ_enhet_id=saksmappe.administrativ_enhet_id, saksstatus=saksstatus, avsluttet_dato=today))
    await session.flush()
    return saksmappe


async def close_client_cases(
    session: AsyncSession, *, ctx: Context, caller: Caller, foedselsnummer: str
) -> list[Saksmappe]:
    """Close every open case of a client who moved away or whose service ended — all or none.

    If any case cannot close (documents not signed off, or not allowed), nothing closes and
    the answer names the cases (by mappeID) that hold it up.
    """
    query = select(Saksmappe).where(
        col(Saksmappe.sekundaer_klassifikasjon) == foedselsnummer,
        col(Saksmappe.saksstatus).not_in([Saksstatus.A.kode, Saksstatus.U.kode]),
    ).order_by(col(Saksmappe.saksaar), col(Saksmappe.sakssekvensnummer))
    cases = list((await session.execute(query)).scalars())
    if not cases:
        raise NotFound("The client has no open case.")
    blocked = [c.mappe_id for c in cases if await _unsigned_in_case(session, c.system_id)]
    if blocked:
        raise WrongStatus(f"Cases with incoming documents not signed off: {', '.join(blocked)}; no case was closed.",
                          mappeID=blocked)
    return [await close_saksmappe(session, ctx=ctx, caller=caller, saksmappe_id=c.system_id,
                                  saksstatus=Saksstatus.A) for c in cases]


def _needs_sign_off():  # type: ignore[no-untyped-def]
    """Journalposts that must be signed off: incoming, and internal notes needing follow-up."""
    signed = select(col(Avskrivning.journalpost_id))
    return (
        col(Journalpost.journalposttype).in_([Journalposttype.I.kode, Journalposttype.N.kode]),
        col(Journalpost.journalstatus) != Journalstatus.U.kode,
        col(Journalpost.system_id).not_in(signed),
    )


async def _unsigned_in_case(session: AsyncSession, saksmappe_id: UUID) -> list[int]:
    query = select(col(Journalpost.journalpostnummer)).where(col(Journalpost.saksmappe_id) == saksmappe_id, *_needs_sign_off())
    return sorted((await session.execute(query)).scalars())


# --- journalpost ------------------------------------------------------------------------


def check_dates(body: JournalpostCreate, today: date) -> None:
    if body.journalposttype is Journalposttype.I and body.mottatt_dato is None:
        raise Unprocessable("An incoming journalpost (I) needs mottattDato, the date it was received.",
                            errors=[{"field": "body.mottattDato", "message": "Field required", "code": "missing"}])
    for name, value in (("mottattDato", body.mottatt_dato), ("dokumentetsDato", body.dokumentets_dato),
                        ("sendtDato", body.sendt_dato)):
        if value is not None and value > today:
            raise Unprocessable(f"{name} is in the future.",
                                errors=[{"field": f"body.{name}", "message": "in the future", "code": "future_date"}])


async def _journalpost_and_resource(session: AsyncSession, journalpost_id: UUID) -> tuple[Journalpost, Saksmappe, Resource]:
    journalpost = await get_journalpost(session, journalpost_id)
    saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    return journalpost, saksmappe, await access.journalpost_resource(session, journalpost, saksmappe, today_in_oslo())


async def _set_status(
    session: AsyncSession, *, ctx: Context, journalpost: Journalpost, to: Journalstatus, who: str
) -> None:
    before = Journalstatus(journalpost.journalstatus)
    await changelog.changed(session, journalpost, "journalpost", who=who, changes={"journalstatus": (before.kode, to.kode)})
    journalpost.journalstatus = to.kode
    await search.refresh(session, journalpost)
    await ctx.outbox.add(session, JournalpostStatusChanged(
        journalpost_id=journalpost.system_id, saksmappe_id=journalpost.saksmappe_id,
        journalposttype=Journalposttype(journalpost.journalposttype), from_status=before, to_status=to,
        journaldato=journalpost.journaldato))


async def change_status(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, to: Journalstatus
) -> Journalpost:
    journalpost, _saksmappe, resource = await _journalpost_and_resource(session, journalpost_id)
    current = Journalstatus(journalpost.journalstatus)
    kind = Journalposttype(journalpost.journalposttype)
    allowed = workflow.allowed_next(kind, current)
    if to is Journalstatus.E:
        raise InvalidTransition(
            "Journalstatus E (Ekspedert) is set by sending: use the ekspedere command "
            f"(POST /journalposter/{journalpost_id}/ekspedere). Allowed changes now: {workflow.describe(allowed)}.",
            allowed=sorted(s.kode for s in allowed))
    if to not in allowed:
        raise InvalidTransition(
            f"journalstatus {current.kode} ({current.kodenavn}) cannot change to {to.kode} ({to.kodenavn}) for a "
            f"journalpost of type {kind.kode}; allowed: {workflow.describe(allowed)}.",
            allowed=sorted(s.kode for s in allowed))
    action = Action.APPROVE if to is Journalstatus.G else Action.UPDATE
    await access.authorize(session, caller, action, resource)
    await _set_status(session, ctx=ctx, journalpost=journalpost, to=to, who=access.actor(caller))
    await session.flush()
    return journalpost


# --- sending (ekspedering) --------------------------------------------------------------


async def ekspedere(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, dokumentobjekt_ids: list[UUID]
) -> Forsendelse | None:
    """Request dispatch to the external recipients; internal-only letters are sent at once."""
    journalpost, _saksmappe, resource = await _journalpost_and_resource(session, journalpost_id)
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
        await _set_status(session, ctx=ctx, journalpost=journalpost, to=Journalstatus.E, who=who)
        await session.flush()
        return None
    from .documents import documents_for_dispatch  # documents imports this module: import at call time

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


async def on_dispatch_accepted(session: AsyncSession, *, ctx: Context, journalpost_id: UUID, recipient_id: UUID,
                               accepted_on: date) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    journalpost = await session.get(Journalpost, journalpost_id)
    if part is None or journalpost is None or part.journalpost_id != journalpost_id:
        return  # not ours (or a test message): nothing to record
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
        await _set_status(session, ctx=ctx, journalpost=journalpost, to=Journalstatus.E, who="svarut-gateway")
        await session.flush()


async def on_dispatch_failed(session: AsyncSession, *, journalpost_id: UUID, recipient_id: UUID, code: str,
                             reason: str) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    journalpost = await session.get(Journalpost, journalpost_id)
    if part is None or journalpost is None or part.journalpost_id != journalpost_id:
        return
    part.forsendelse_status = "rejected"
    part.forsendelse_feilkode = code[:100]
    part.forsendelse_feil = reason[:500]
    journalpost.har_forsendelsesfeil = True
    await changelog.changed(session, journalpost, "journalpost", who="svarut-gateway",
                      changes={"forsendelse": (None, f"rejected: {code}")})
    await session.flush()


async def on_dispatch_status(session: AsyncSession, *, journalpost_id: UUID, recipient_id: UUID, status: str,
                             is_terminal: bool) -> None:
    part = await session.get(Korrespondansepart, recipient_id)
    if part is None or part.journalpost_id != journalpost_id:
        return
    if status.upper().startswith("IKKE_LEVERT"):
        await on_dispatch_failed(session, journalpost_id=journalpost_id, recipient_id=recipient_id,
                                 code=status[:100], reason="SvarUt could not deliver the letter.")
    elif is_terminal:
        part.forsendelse_status = "delivered"
        await session.flush()


# --- sign-off, remarks, distribution ----------------------------------------------------


async def avskriv(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, body: AvskrivningIn
) -> Avskrivning:
    journalpost, saksmappe, resource = await _journalpost_and_resource(session, journalpost_id)
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


async def add_merknad(
    session: AsyncSession, *, caller: Caller, journalpost_id: UUID, body: MerknadIn
) -> Merknad:
    _journalpost, _saksmappe, resource = await _journalpost_and_resource(session, journalpost_id)
    await access.authorize(session, caller, Action.ADD_REMARK, resource)
    merknad = Merknad(journalpost_id=journalpost_id, merknadstekst=body.merknadstekst, merknadstype=body.merknadstype,
                      merknadsdato=now_utc(), merknad_registrert_av=access.actor(caller))
    session.add(merknad)
    await session.flush()
    await changelog.created(session, (merknad, "merknad"), who=access.actor(caller))
    return merknad


async def add_saksmappe_merknad(
    session: AsyncSession, *, caller: Caller, saksmappe_id: UUID, body: MerknadIn
) -> Merknad:
    """A remark on the case itself. Its text may be personal: it goes to the change log only."""
    saksmappe = await get_saksmappe(session, saksmappe_id)
    await access.authorize(session, caller, Action.ADD_REMARK,
                           await access.saksmappe_resource(session, saksmappe, today_in_oslo()))
    merknad = Merknad(saksmappe_id=saksmappe_id, merknadstekst=body.merknadstekst, merknadstype=body.merknadstype,
                      merknadsdato=now_utc(), merknad_registrert_av=access.actor(caller))
    session.add(merknad)
    await session.flush()
    await changelog.created(session, (merknad, "merknad"), who=access.actor(caller))
    return merknad


async def merknader(session: AsyncSession, *, saksmappe_id: UUID | None = None,
                    journalpost_id: UUID | None = None) -> list[Merknad]:
    """The remarks of one saksmappe (its own, not its journalposts') or of one journalpost, oldest first."""
    column = col(Merknad.saksmappe_id) if saksmappe_id is not None else col(Merknad.journalpost_id)
    query = select(Merknad).where(column == (saksmappe_id or journalpost_id)).order_by(col(Merknad.merknadsdato))
    return list((await session.execute(query)).scalars())


async def fordel(
    session: AsyncSession, *, caller: Caller, journalpost_id: UUID, body: FordelingIn
) -> Fordeling:
    journalpost, _saksmappe, resource = await _journalpost_and_resource(session, journalpost_id)
    await access.authorize(session, caller, Action.DISTRIBUTE, resource)
    if journalpost.saksbehandler_id == body.saksbehandler and (
        body.administrativ_enhet is None or body.administrativ_enhet == journalpost.administrativ_enhet_id
    ):
        raise Conflict("The journalpost is already distributed to this case handler.")
    fordeling = Fordeling(journalpost_id=journalpost_id, fra_saksbehandler_id=journalpost.saksbehandler_id,
                          til_saksbehandler_id=body.saksbehandler,
                          til_administrativ_enhet_id=body.administrativ_enhet or journalpost.administrativ_enhet_id,
                          fordelt_at=now_utc(), fordelt_av=access.actor(caller))
    changes = {"saksbehandler": (str(journalpost.saksbehandler_id) if journalpost.saksbehandler_id else None,
                                 str(body.saksbehandler))}
    if body.administrativ_enhet is not None and body.administrativ_enhet != journalpost.administrativ_enhet_id:
        changes["administrativEnhet"] = (str(journalpost.administrativ_enhet_id), str(body.administrativ_enhet))
        journalpost.administrativ_enhet_id = body.administrativ_enhet
    await changelog.changed(session, journalpost, "journalpost", who=access.actor(caller), changes=changes)
    journalpost.saksbehandler_id = body.saksbehandler
    await search.refresh(session, journalpost)
    session.add(fordeling)
    await session.flush()
    return fordeling


async def fordelinger(session: AsyncSession, journalpost_id: UUID) -> list[Fordeling]:
    query = select(Fordeling).where(col(Fordeling.journalpost_id) == journalpost_id).order_by(col(Fordeling.fordelt_at))
    return list((await session.execute(query)).scalars())


# --- reports -----------------------------------------------------------------------------


async def restanser(session: AsyncSession, *, ctx: Context, today: date) -> list[tuple[Journalpost, Saksmappe, date]]:
    """Incoming documents (and N notes) not signed off, past due first."""
    query = (select(Journalpost, Saksmappe).join(Saksmappe, col(Saksmappe.system_id) == col(Journalpost.saksmappe_id))
             .where(*_needs_sign_off()))
    rows = []
    for journalpost, saksmappe in (await session.execute(query)).all():
        due = journalpost.forfallsdato or journalpost.journaldato + timedelta(days=ctx.settings.restanse_default_days)
        rows.append((journalpost, saksmappe, due))
    rows.sort(key=lambda r: (r[2], r[0].journalaar, r[0].journalsekvensnummer))
    return rows
