"""Registering a journalpost — with its korrespondanseparter and documents — in one transaction.

One way in: every entry point (the HTTP API, and later the Noark 5 interface, Fiks Arkiv,
e-mail intake and migration import) builds a `RegisterJournalpost` command and calls
`register(session, ctx, caller, command)`.

This is the journal's busiest write, so it is written for few round trips: taking the
case's next journalpostnummer also reads the case, every record is built in memory
(`model_construct`: the models' defaults without the ORM's bookkeeping), and the bulk
writer (store/bulk.py) puts all rows and events in one statement on PostgreSQL. The gapless
journal number is the one lock every registration shares: PostgreSQL takes it inside the
COMMIT (migration journal_0006) and an after-commit hook of the unit of work reads it back
into the result; on SQLite it is taken last, in the transaction. Every check that can
refuse runs before the first insert, and a refusal rolls back the counter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast
from uuid import UUID

from sqlalchemy import bindparam, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from arkiv5_contracts.codelists import Journalposttype, Saksstatus, TilknyttetRegistreringSom, Variantformat
from arkiv5_contracts.events.journal import DokumentAdded, JournalpostRegistered
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.db import after_commit

from ..authz import access
from ..context import Context, now_utc
from ..domain import numbering, screening, workflow
from ..domain.numbering import today_in_oslo
from ..errors import InvalidTransition, NotFound, Unprocessable, WrongStatus
from ..models import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Fordeling,
    Journalpost,
    Korrespondansepart,
    Saksmappe,
)
from ..sniffing import sniff
from ..store import bulk, changelog, search
from ..store.repository import get_saksmappe
from .commands import NewDocument, NewKorrespondansepart, RegisterJournalpost, Skjerming

_CLOSED = (Saksstatus.A.kode, Saksstatus.U.kode)


@dataclass
class Registered:
    """What a registration wrote. On PostgreSQL the journal number arrives after the commit."""

    journalpost: Journalpost
    saksmappe: Saksmappe
    korrespondanseparter: list[Korrespondansepart]
    dokumenter: list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]]


_SAKSMAPPE = Saksmappe.__table__  # type: ignore[attr-defined]
# Core, not the ORM's bulk update: the row comes back as values, with no identity map to keep.
_TAKE_JOURNALPOSTNUMMER = (
    update(_SAKSMAPPE).where(_SAKSMAPPE.c.system_id == bindparam("saksmappe_id"))
    .values(siste_journalpostnummer=_SAKSMAPPE.c.siste_journalpostnummer + 1)
    .returning(*_SAKSMAPPE.columns)
)


def check_dates(command: RegisterJournalpost, today: date) -> None:
    if command.journalposttype is Journalposttype.I and command.mottatt_dato is None:
        raise Unprocessable("An incoming journalpost (I) needs mottattDato, the date it was received.",
                            errors=[{"field": "body.mottattDato", "message": "Field required", "code": "missing"}])
    for name, value in (("mottattDato", command.mottatt_dato), ("dokumentetsDato", command.dokumentets_dato),
                        ("sendtDato", command.sendt_dato)):
        if value is not None and value > today:
            raise Unprocessable(f"{name} is in the future.",
                                errors=[{"field": f"body.{name}", "message": "in the future", "code": "future_date"}])


def skjerming_values(skjerming: Skjerming | None) -> dict[str, Any]:
    if skjerming is None:
        return {"tilgangsrestriksjon": None, "skjermingshjemmel": None, "skjerming_metadata": [],
                "skjerming_opphoerer_dato": None}
    return {
        "tilgangsrestriksjon": skjerming.tilgangsrestriksjon,
        "skjermingshjemmel": skjerming.skjermingshjemmel,
        "skjerming_metadata": sorted({code.kode for code in skjerming.skjerming_metadata}),
        "skjerming_opphoerer_dato": skjerming.skjerming_opphoerer_dato,
    }


async def check_may_register(session: AsyncSession, caller: Caller, saksmappe_id: UUID) -> None:
    """The refusals that need no body: no such case (404), a closed case, a caller who may not
    register in it (403) — checked before a multipart body's files are read into the store.
    `register` checks them again in its own transaction."""
    saksmappe = await get_saksmappe(session, saksmappe_id)
    if saksmappe.saksstatus in _CLOSED:
        raise WrongStatus(f"The case is closed (saksstatus {saksmappe.saksstatus}); it takes no new journalposts.")
    await access.authorize(session, caller, Action.CREATE_JOURNALPOST,
                           await access.saksmappe_resource(session, saksmappe, today_in_oslo(), caller=caller))


async def register(session: AsyncSession, ctx: Context, caller: Caller, command: RegisterJournalpost) -> Registered:
    """Register the command's journalpost, its parts and documents; refuse before writing anything."""
    body, saksmappe_id, documents = command, command.saksmappe_id, command.documents
    today = today_in_oslo()
    check_dates(body, today)
    default_status, allowed = workflow.INITIAL_STATUSES[body.journalposttype]
    if body.etterregistrering:
        allowed = allowed | workflow.BACK_REGISTRATION_STATUSES[body.journalposttype]
    status = body.journalstatus or default_status
    if status not in allowed:
        raise InvalidTransition(
            f"A journalpost of type {body.journalposttype.kode} cannot be registered with journalstatus "
            f"{status.kode}; allowed: {workflow.describe(allowed)}.",
            allowed=sorted(s.kode for s in allowed))
    # Taking the case's next journalpostnummer reads the case too. Its row lock queues only
    # registrations in the same case (and a closing of it); a refusal below rolls it back.
    row = (await session.execute(_TAKE_JOURNALPOSTNUMMER, {"saksmappe_id": saksmappe_id})).one_or_none()
    if row is None:
        raise NotFound("No saksmappe has this systemID.")
    saksmappe = Saksmappe.model_construct(**row._mapping)
    journalpostnummer = saksmappe.siste_journalpostnummer
    if saksmappe.saksstatus in _CLOSED:
        raise WrongStatus(f"The case is closed (saksstatus {saksmappe.saksstatus}); it takes no new journalposts.")
    await access.authorize(session, caller, Action.CREATE_JOURNALPOST,
                           await access.saksmappe_resource(session, saksmappe, today, caller=caller))
    skjerming = skjerming_values(body.skjerming)
    await access.require_known_code(session, skjerming["tilgangsrestriksjon"], field="body.skjerming.tilgangsrestriksjon")
    skjermede_ord = list(body.skjermede_ord)
    if screening.screens(skjerming["skjerming_metadata"], screening.SENDER_CODES | screening.RECIPIENT_CODES):
        # A screened correspondent's name must not survive in the public title either.
        skjermede_ord += [p.korrespondansepart_navn for p in body.korrespondansepart]
    offentlig_tittel = screening.chosen_public_title(body.tittel, body.offentlig_tittel, skjermede_ord,
                                    skjerming["skjerming_metadata"], screening.TITLE_CODES_REGISTRERING)
    who = access.actor(caller)
    now = now_utc()
    journalpost = Journalpost.model_construct(
        saksmappe_id=saksmappe_id, journalaar=today.year, journalsekvensnummer=None,
        journalpostnummer=journalpostnummer, journalposttype=body.journalposttype.kode, journalstatus=status.kode,
        journaldato=today, tittel=body.tittel, offentlig_tittel=offentlig_tittel, er_vedtak=body.er_vedtak,
        dokumentets_dato=body.dokumentets_dato, mottatt_dato=body.mottatt_dato, sendt_dato=body.sendt_dato,
        forfallsdato=body.forfallsdato, offentlighetsvurdert_dato=body.offentlighetsvurdert_dato,
        administrativ_enhet_id=body.administrativ_enhet or saksmappe.administrativ_enhet_id,
        saksbehandler_id=body.saksbehandler or saksmappe.saksansvarlig_id,
        er_etterregistrert=body.etterregistrering, har_forsendelsesfeil=False,
        opprettet_dato=now, opprettet_av=who, **skjerming,
    )
    parts = [korrespondansepart(journalpost.system_id, p) for p in body.korrespondansepart]
    fordelinger = [Fordeling.model_construct(
        journalpost_id=journalpost.system_id, fra_saksbehandler_id=None,
        til_saksbehandler_id=journalpost.saksbehandler_id,
        til_administrativ_enhet_id=journalpost.administrativ_enhet_id, fordelt_at=now, fordelt_av=who,
    )] if journalpost.saksbehandler_id is not None else []
    dokumenter = [_document(journalpost, number, document, who=who, now=now, today=today)
                  for number, document in enumerate(documents, start=1)]
    beskrivelser = [b for b, _o in dokumenter]
    objekter = [o for _b, o in dokumenter]

    logged = changelog.creation_rows((journalpost, "journalpost"), *[(p, "korrespondansepart") for p in parts],
                                     *[(b, "dokumentbeskrivelse") for b in beskrivelser],
                                     *[(o, "dokumentobjekt") for o in objekter], who=who)
    values = bulk.values
    rows = {Journalpost: [values(journalpost)], Korrespondansepart: [values(p) for p in parts],
            Fordeling: [values(f) for f in fordelinger], Dokumentbeskrivelse: [values(b) for b in beskrivelser],
            Dokumentobjekt: [values(o) for o in objekter], Endringslogg: logged}
    if numbering.taken_at_commit(session):
        # The commit gives the number and sets it into the events (migration journal_0006).
        events = ctx.outbox.rows(session, _events(journalpost, numbering.PLACEHOLDER, dokumenter))
        await bulk.write_postgres(session, rows, [search.postgres_index_row(journalpost, saksmappe, parts)], events)
        registered = Registered(journalpost=journalpost, saksmappe=saksmappe, korrespondanseparter=parts,
                                dokumenter=[(b, [o]) for b, o in dokumenter])

        async def read_the_number() -> None:
            # The session's bind is the service's engine (Database.sessions is bound to it).
            nummer = await numbering.committed_journalsekvensnummer(cast(AsyncEngine, session.bind),
                                                                    journalpost.system_id)
            registered.journalpost = with_number(registered.journalpost, nummer)

        after_commit(session, read_the_number)
        return registered
    else:
        await bulk.write_sqlite(session, rows)
        await search.index(session, journalpost, saksmappe, parts)
        nummer = await numbering.assign_journalsekvensnummer(
            session, journalpost_id=journalpost.system_id, aar=journalpost.journalaar, who=who, outbox=ctx.outbox,
            events=lambda number: _events(journalpost, number, dokumenter))
        journalpost = with_number(journalpost, nummer)
    return Registered(journalpost=journalpost, saksmappe=saksmappe, korrespondanseparter=parts,
                      dokumenter=[(b, [o]) for b, o in dokumenter])


def with_number(journalpost: Journalpost, journalsekvensnummer: int) -> Journalpost:
    # A constructed record is not tracked by the ORM, so it takes the number as a new copy.
    return Journalpost.model_construct(**{**bulk.values(journalpost), "journalsekvensnummer": journalsekvensnummer})


def korrespondansepart(journalpost_id: UUID, body: NewKorrespondansepart) -> Korrespondansepart:
    return Korrespondansepart.model_construct(
        journalpost_id=journalpost_id, korrespondanseparttype=body.korrespondanseparttype.kode,
        korrespondansepart_navn=body.korrespondansepart_navn, foedselsnummer=body.foedselsnummer,
        organisasjonsnummer=body.organisasjonsnummer, postadresse=list(body.postadresse),
        postnummer=body.postnummer, poststed=body.poststed, land=body.land, epostadresse=body.epostadresse,
        telefonnummer=body.telefonnummer, kontaktperson=body.kontaktperson,
        administrativ_enhet_id=body.administrativ_enhet, saksbehandler_id=body.saksbehandler,
        forsendelse_status=None, forsendelse_feilkode=None, forsendelse_feil=None,
    )


def _document(journalpost: Journalpost, number: int, document: NewDocument, *, who: str, now: datetime,
              today: date) -> tuple[Dokumentbeskrivelse, Dokumentobjekt]:
    role = document.tilknyttet_registrering_som or (
        TilknyttetRegistreringSom.H if number == 1 else TilknyttetRegistreringSom.V)
    tittel = document.tittel or (journalpost.tittel if number == 1 else document.filnavn or f"Vedlegg {number - 1}")
    beskrivelse = Dokumentbeskrivelse.model_construct(
        journalpost_id=journalpost.system_id, dokumentnummer=number,
        dokumenttype=document.dokumenttype.kode if document.dokumenttype else None, dokumentstatus="F",
        tittel=tittel, tilknyttet_registrering_som=role.kode, tilknyttet_dato=today, tilknyttet_av=who,
        skanning_kontrollert=document.skanning_kontrollert, kilde_noekkel=None,
        opprettet_dato=now, opprettet_av=who)
    objekt = Dokumentobjekt.model_construct(
        dokumentbeskrivelse_id=beskrivelse.system_id, versjonsnummer=1, variantformat=Variantformat.P.kode,
        format=sniff(document.blob.head, document.declared_type), format_detaljer=None,
        sjekksum=document.blob.sha256, sjekksum_algoritme="SHA-256", filstoerrelse=document.blob.size,
        filnavn=document.filnavn, originalt_filnavn=document.originalt_filnavn, konvertert_fra_id=None, opprettet_dato=now, opprettet_av=who)
    return beskrivelse, objekt


def _events(journalpost: Journalpost, journalsekvensnummer: int,
            dokumenter: list[tuple[Dokumentbeskrivelse, Dokumentobjekt]]) -> list[Any]:
    """JournalpostRegistered, then one DokumentAdded per document: the order they are published in."""
    registered = JournalpostRegistered(
        journalpost_id=journalpost.system_id, saksmappe_id=journalpost.saksmappe_id,
        journalaar=journalpost.journalaar, journalsekvensnummer=journalsekvensnummer,
        journalpostnummer=journalpost.journalpostnummer, journalposttype=Journalposttype(journalpost.journalposttype),
        journalstatus=journalpost.journalstatus, journaldato=journalpost.journaldato,
        administrativ_enhet_id=journalpost.administrativ_enhet_id)
    return [registered, *(DokumentAdded(
        journalpost_id=journalpost.system_id, dokumentbeskrivelse_id=b.system_id, dokumentobjekt_id=o.system_id,
        versjonsnummer=o.versjonsnummer, variantformat=Variantformat(o.variantformat), sha256=o.sjekksum,
        size=o.filstoerrelse, media_type=o.format[:255]) for b, o in dokumenter)]
