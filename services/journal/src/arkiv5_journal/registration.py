"""Registering a journalpost — with its korrespondanseparter and documents — in one transaction.

This is the journal's busiest write, so it is written for few round trips: taking the
case's next journalpostnummer also reads the case, every record is built in memory
(`model_construct`: the models' defaults without the ORM's bookkeeping), and on PostgreSQL
all rows and events go in one statement. The gapless journal number is the one lock every
registration shares: PostgreSQL takes it inside the COMMIT (migration journal_0006) and it
is read back afterwards; on SQLite it is taken last, in the transaction. Every check that
can refuse runs before the first insert, and a refusal rolls back the counter.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from pydantic_core import to_json
from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from arkiv5_contracts.codelists import Journalposttype, Saksstatus, TilknyttetRegistreringSom, Variantformat
from arkiv5_contracts.events.journal import DokumentAdded, JournalpostRegistered
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import NotFound, Unprocessable

from . import access, changelog, search
from .blobstore import StoredBlob
from .documents import ChecksumMismatch
from .domain import numbering, screening, workflow
from .domain.numbering import today_in_oslo
from .models import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Fordeling,
    Journalpost,
    Korrespondansepart,
    Saksmappe,
)
from .schemas import DokumentIn, JournalpostCreate, KorrespondansepartIn
from .service import Context, InvalidTransition, WrongStatus, check_dates, now_utc, public_title, skjerming_values
from .sniffing import sniff

_CLOSED = (Saksstatus.A.kode, Saksstatus.U.kode)


@dataclass(frozen=True)
class NewDocument:
    """A file already in the blob store, with what the request said about it."""

    blob: StoredBlob
    declared_type: str | None
    filnavn: str | None
    metadata: DokumentIn | None


@dataclass(frozen=True)
class Registered:
    journalpost: Journalpost
    saksmappe: Saksmappe
    korrespondanseparter: list[Korrespondansepart]
    dokumenter: list[tuple[Dokumentbeskrivelse, list[Dokumentobjekt]]]


def match_documents(body: JournalpostCreate, files: Sequence[tuple[str, str | None, str | None, StoredBlob]]
                    ) -> list[NewDocument]:
    """Pair the file parts (name, filename, content type, blob) with their metadata by part name.

    Refuses metadata naming a missing part, and a part named twice, before anything is written.
    """
    described = {}
    for index, entry in enumerate(body.dokumentbeskrivelse):
        if entry.fil in described:
            raise Unprocessable(f"Two dokumentbeskrivelse entries name the file part {entry.fil!r}.",
                                errors=[_error(index, "fil", "named twice", "duplicate")])
        described[entry.fil] = (index, entry)
    names = [name for name, *_ in files]
    for name, (index, _entry) in described.items():
        if name not in names:
            raise Unprocessable(f"dokumentbeskrivelse names the file part {name!r}, which the request does not have.",
                                errors=[_error(index, "fil", "no such file part", "missing_file")])
    if len(set(names)) != len(names):
        raise Unprocessable("Two file parts have the same name; give each document its own part name.")
    documents = []
    for name, filename, content_type, blob in files:
        metadata = described.get(name, (None, None))[1]
        if metadata is not None and metadata.sjekksum and metadata.sjekksum.lower() != blob.sha256:
            raise ChecksumMismatch(f"The SHA-256 of file part {name!r} differs from the one given; nothing was "
                                   "registered.", fil=name)
        documents.append(NewDocument(blob=blob, declared_type=content_type, filnavn=filename, metadata=metadata))
    return documents


def _error(index: int, field: str, message: str, code: str) -> dict[str, str]:
    return {"field": f"body.dokumentbeskrivelse.{index}.{field}", "message": message, "code": code}


def _values(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__table__.columns.keys()}


_SAKSMAPPE = Saksmappe.__table__  # type: ignore[attr-defined]
# Core, not the ORM's bulk update: the row comes back as values, with no identity map to keep.
_TAKE_JOURNALPOSTNUMMER = (
    update(_SAKSMAPPE).where(_SAKSMAPPE.c.system_id == bindparam("saksmappe_id"))
    .values(siste_journalpostnummer=_SAKSMAPPE.c.siste_journalpostnummer + 1)
    .returning(*_SAKSMAPPE.columns)
)
_TABLES = (Journalpost, Korrespondansepart, Fordeling, Dokumentbeskrivelse, Dokumentobjekt, Endringslogg)


@functools.cache
def _postgres_insert() -> Any:
    """One statement that writes every row of a registration and its events, each table's rows as one JSON array.

    Data-modifying CTEs send everything in one round trip (the foreign keys are checked at
    the end of the statement, when every row is in), and since the rows travel as one
    parameter per table the statement has the same text for any number of rows: compiled
    once, prepared once per connection. The events keep their order (outbox ids are the
    publishing order).
    """
    targets = [(model.__table__.name, list(model.__table__.columns.keys())) for model in _TABLES]  # type: ignore[attr-defined]
    targets.append(("journalpost_sok", list(search.POSTGRES_INDEX_COLUMNS)))
    ctes = [f"insert_{name} AS (INSERT INTO {name} ({', '.join(columns)}) SELECT {', '.join(columns)} "
            f"FROM jsonb_populate_recordset(NULL::{name}, CAST(:{name} AS jsonb)))" for name, columns in targets]
    ctes.append(
        "insert_outbox AS (INSERT INTO outbox (event_id, topic, message_key, event_type, headers, payload, created_at) "
        "SELECT CAST(e.row->>'event_id' AS uuid), e.row->>'topic', e.row->>'message_key', e.row->>'event_type', "
        "CAST(e.row->'headers' AS json), e.row->>'payload', CAST(e.row->>'created_at' AS timestamptz) "
        "FROM jsonb_array_elements(CAST(:outbox AS jsonb)) WITH ORDINALITY AS e(row, position) ORDER BY e.position)")
    return text("WITH " + ", ".join(ctes) + " SELECT 1")


async def _write_postgres(session: AsyncSession, rows: dict[Any, list[dict[str, Any]]], index: dict[str, Any],
                          events: list[dict[str, Any]]) -> None:
    parameters = {model.__table__.name: to_json(rows.get(model, [])).decode()  # type: ignore[attr-defined]
                  for model in _TABLES}
    parameters["journalpost_sok"] = to_json([index]).decode()
    parameters["outbox"] = to_json(events).decode()
    await session.execute(_postgres_insert(), parameters)


async def _write_sqlite(session: AsyncSession, rows: dict[Any, list[dict[str, Any]]]) -> None:
    """SQLite has no INSERT in a CTE: one statement per table, parents first."""
    for model in _TABLES:
        if rows.get(model):
            await session.execute(insert(model.__table__), rows[model])  # type: ignore[attr-defined]


async def register(
    session: AsyncSession, *, ctx: Context, caller: Caller, saksmappe_id: UUID, body: JournalpostCreate,
    documents: Sequence[NewDocument] = (),
) -> Registered:
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
    if body.dokumentbeskrivelse and not documents:
        raise Unprocessable("dokumentbeskrivelse describes file parts, but the request has none: send the "
                            "journalpost and its files as multipart/form-data.")
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
    skjermede_ord = list(body.skjermede_ord)
    if screening.screens(skjerming["skjerming_metadata"], screening.SENDER_CODES | screening.RECIPIENT_CODES):
        # A screened correspondent's name must not survive in the public title either.
        skjermede_ord += [p.korrespondansepart_navn for p in body.korrespondansepart]
    offentlig_tittel = public_title(body.tittel, body.offentlig_tittel, skjermede_ord,
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
    rows = {Journalpost: [_values(journalpost)], Korrespondansepart: [_values(p) for p in parts],
            Fordeling: [_values(f) for f in fordelinger], Dokumentbeskrivelse: [_values(b) for b in beskrivelser],
            Dokumentobjekt: [_values(o) for o in objekter], Endringslogg: logged}
    if numbering.taken_at_commit(session):
        # The commit gives the number and sets it into the events (migration journal_0006).
        events = ctx.outbox.rows(session, _events(journalpost, numbering.PLACEHOLDER, dokumenter))
        await _write_postgres(session, rows, search.postgres_index_row(journalpost, saksmappe, parts), events)
    else:
        await _write_sqlite(session, rows)
        await search.index(session, journalpost, saksmappe, parts)
        nummer = await numbering.assign_journalsekvensnummer(
            session, journalpost_id=journalpost.system_id, aar=journalpost.journalaar, who=who, outbox=ctx.outbox,
            events=lambda number: _events(journalpost, number, dokumenter))
        journalpost = with_number(journalpost, nummer)
    return Registered(journalpost=journalpost, saksmappe=saksmappe, korrespondanseparter=parts,
                      dokumenter=[(b, [o]) for b, o in dokumenter])


def with_number(journalpost: Journalpost, journalsekvensnummer: int) -> Journalpost:
    # A constructed record is not tracked by the ORM, so it takes the number as a new copy.
    return Journalpost.model_construct(**{**_values(journalpost), "journalsekvensnummer": journalsekvensnummer})


async def after_commit(engine: AsyncEngine, registered: Registered) -> Registered:
    """The registration with its journal number, which on PostgreSQL the commit gave."""
    if registered.journalpost.journalsekvensnummer is not None:
        return registered
    nummer = await numbering.committed_journalsekvensnummer(engine, registered.journalpost.system_id)
    return dataclasses.replace(registered, journalpost=with_number(registered.journalpost, nummer))


def korrespondansepart(journalpost_id: UUID, body: KorrespondansepartIn) -> Korrespondansepart:
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
    metadata = document.metadata
    role = (metadata.tilknyttet_registrering_som if metadata else None) or (
        TilknyttetRegistreringSom.H if number == 1 else TilknyttetRegistreringSom.V)
    tittel = (metadata.tittel if metadata else None) or (
        journalpost.tittel if number == 1 else document.filnavn or f"Vedlegg {number - 1}")
    beskrivelse = Dokumentbeskrivelse.model_construct(
        journalpost_id=journalpost.system_id, dokumentnummer=number,
        dokumenttype=metadata.dokumenttype.kode if metadata and metadata.dokumenttype else None, dokumentstatus="F",
        tittel=tittel, tilknyttet_registrering_som=role.kode, tilknyttet_dato=today, tilknyttet_av=who,
        skanning_kontrollert=metadata.skanning_kontrollert if metadata else None, kilde_noekkel=None,
        opprettet_dato=now, opprettet_av=who)
    objekt = Dokumentobjekt.model_construct(
        dokumentbeskrivelse_id=beskrivelse.system_id, versjonsnummer=1, variantformat=Variantformat.P.kode,
        format=sniff(document.blob.head, document.declared_type), format_detaljer=None,
        sjekksum=document.blob.sha256, sjekksum_algoritme="SHA-256", filstoerrelse=document.blob.size,
        filnavn=document.filnavn, konvertert_fra_id=None, opprettet_dato=now, opprettet_av=who)
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
