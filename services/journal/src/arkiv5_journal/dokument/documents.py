"""Documents: streaming upload into the blob store, dokumentbeskrivelse/dokumentobjekt, the archival variant."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import (
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    TilknyttetRegistreringSom,
    Variantformat,
)
from arkiv5_contracts.events.journal import DokumentAdded
from arkiv5_contracts.policy import Action
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import NotFound, PayloadTooLarge, Unprocessable

from ..authz import access
from ..blobstore import BlobStore, BlobTooLarge, HeldUpload, StoredBlob
from ..context import Context, now_utc
from ..domain.numbering import today_in_oslo
from ..errors import ChecksumMismatch, SizeMismatch, VersionRefused, WrongStatus
from ..models import Dokumentbeskrivelse, Dokumentobjekt, Journalpost, Korrespondansepart, Saksmappe
from ..sniffing import sniff
from ..store import changelog
from ..store.repository import (  # noqa: F401 - re-exported
    dokumentbeskrivelser,
    get_journalpost,
    get_saksmappe,
    journalpost_and_case,
)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def check_expected_sha256(expected: str | None) -> str | None:
    if expected is None:
        return None
    expected = expected.strip().lower()
    if not _SHA256.match(expected):
        raise Unprocessable("The expected SHA-256 must be 64 hexadecimal digits.")
    return expected


async def store(blobs: BlobStore, body: AsyncIterator[bytes] | HeldUpload, *, max_bytes: int,
                expected_sha256: str | None, expected_size: int | None = None) -> StoredBlob:
    """Stream the body into the store (or name a finished chunked upload's bytes there); refuse
    oversized or mismatching bodies before any row is written."""
    try:
        if isinstance(body, HeldUpload):
            blob = await blobs.store_partial(body.key, max_bytes=max_bytes)
        else:
            blob = await blobs.put_stream(body, max_bytes=max_bytes)
    except BlobTooLarge:
        raise PayloadTooLarge(f"The document is larger than the limit of {max_bytes} bytes.") from None
    if blob.size == 0:
        raise Unprocessable("The document is empty.")
    if expected_sha256 is not None and blob.sha256 != expected_sha256:
        # The blob may stay (content-addressed, unreferenced): no record points at it.
        raise ChecksumMismatch("The SHA-256 of the received bytes differs from the one given; nothing was registered.")
    if expected_size is not None and blob.size != expected_size:
        raise SizeMismatch(f"{blob.size} bytes were received, not the {expected_size} given; nothing was registered.")
    return blob


async def check_new_document(session: AsyncSession, *, caller: Caller, journalpost_id: UUID) -> None:
    """Every refusal of a new document that does not depend on its bytes: 404, a final
    journalstatus, 403 — before a byte of the body is read or stored."""
    journalpost, saksmappe = await journalpost_and_case(session, journalpost_id)
    if journalpost.journalstatus in (Journalstatus.U.kode, Journalstatus.A.kode):
        raise WrongStatus(f"No documents can be added in journalstatus {journalpost.journalstatus}.")
    await access.authorize(session, caller, Action.UPDATE, await access.journalpost_resource(
        session, journalpost, saksmappe, today_in_oslo(), caller=caller))


async def add_document(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, blob: StoredBlob,
    declared_type: str | None, tittel: str, tilknyttet_registrering_som: TilknyttetRegistreringSom | None,
    dokumenttype: Dokumenttype | None, filnavn: str | None, skanning_kontrollert: bool | None,
    originalt_filnavn: str | None = None,
) -> tuple[Dokumentbeskrivelse, Dokumentobjekt]:
    journalpost, saksmappe = await journalpost_and_case(session, journalpost_id)
    if journalpost.journalstatus in (Journalstatus.U.kode, Journalstatus.A.kode):
        raise WrongStatus(f"No documents can be added in journalstatus {journalpost.journalstatus}.")
    await access.authorize(session, caller, Action.UPDATE, await access.journalpost_resource(
        session, journalpost, saksmappe, today_in_oslo(), caller=caller))
    count = (await session.execute(select(func.count()).select_from(Dokumentbeskrivelse).where(
        col(Dokumentbeskrivelse.journalpost_id) == journalpost_id))).scalar_one()
    role = tilknyttet_registrering_som or (TilknyttetRegistreringSom.H if count == 0 else TilknyttetRegistreringSom.V)
    who = access.actor(caller)
    now = now_utc()
    beskrivelse = Dokumentbeskrivelse(
        journalpost_id=journalpost_id, dokumentnummer=count + 1, dokumenttype=dokumenttype.kode if dokumenttype else None,
        tittel=tittel, tilknyttet_registrering_som=role.kode, tilknyttet_dato=today_in_oslo(), tilknyttet_av=who,
        skanning_kontrollert=skanning_kontrollert, opprettet_dato=now, opprettet_av=who)
    session.add(beskrivelse)
    await session.flush()
    objekt = Dokumentobjekt(
        dokumentbeskrivelse_id=beskrivelse.system_id, versjonsnummer=1, variantformat=Variantformat.P.kode,
        format=sniff(blob.head, declared_type), sjekksum=blob.sha256, filstoerrelse=blob.size, filnavn=filnavn,
        originalt_filnavn=originalt_filnavn, opprettet_dato=now, opprettet_av=who)
    session.add(objekt)
    await session.flush()
    await changelog.created(session, (beskrivelse, "dokumentbeskrivelse"), (objekt, "dokumentobjekt"), who=who)
    await ctx.outbox.add(session, added_event(journalpost_id, beskrivelse, objekt))
    return beskrivelse, objekt


def _refuse_new_version(journalpost: Journalpost) -> None:
    """A new version changes the record's content, so only while the registration is open.

    Sent (E), archived (A) and cancelled (U) registrations are final, and so is an outgoing
    letter in J, which it reaches only after sending: the archive must hold what was sent.
    An incoming letter in J (its usual status from registration on) may still get a
    better scan; the conversion service converts such a version at once.
    """
    status = Journalstatus(journalpost.journalstatus)
    sent = journalpost.journalposttype == Journalposttype.U.kode and status is Journalstatus.J
    if status in (Journalstatus.E, Journalstatus.A, Journalstatus.U) or sent:
        raise VersionRefused(
            f"The journalpost has journalstatus {status.kode} ({status.kodenavn}); its documents are final "
            "and get no new versions. Register a new journalpost for changed content.",
            journalstatus=status.kode)


async def _dispatch_underway(session: AsyncSession, journalpost_id: UUID) -> bool:
    query = select(func.count()).select_from(Korrespondansepart).where(
        col(Korrespondansepart.journalpost_id) == journalpost_id, col(Korrespondansepart.forsendelse_status) == "requested")
    return bool((await session.execute(query)).scalar_one())


async def check_new_version(
    session: AsyncSession, *, caller: Caller, dokumentbeskrivelse_id: UUID, lock: bool = False
) -> tuple[Dokumentbeskrivelse, Journalpost]:
    """Every refusal of a new version, before any byte is read or row written.

    With `lock`, the journalpost row is share-locked (a status change or sending waits for
    this transaction) and the dokumentbeskrivelse row locked for update, so concurrent
    versions of one document queue and each sees the last one's number (PostgreSQL; SQLite
    writers are serialised by the kit).
    """
    beskrivelse = (await session.execute(
        select(Dokumentbeskrivelse).where(col(Dokumentbeskrivelse.system_id) == dokumentbeskrivelse_id))).scalar_one_or_none()
    if beskrivelse is None:
        raise NotFound("No dokumentbeskrivelse has this systemID.")
    query = select(Journalpost).where(col(Journalpost.system_id) == beskrivelse.journalpost_id)
    if lock:
        query = query.with_for_update(read=True).execution_options(populate_existing=True)
    journalpost = (await session.execute(query)).scalar_one()
    saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    _refuse_new_version(journalpost)
    await access.authorize(session, caller, Action.UPDATE, await access.journalpost_resource(
        session, journalpost, saksmappe, today_in_oslo(), caller=caller))
    if await _dispatch_underway(session, journalpost.system_id):
        raise VersionRefused("The journalpost is being sent; a new version can be added when the sending has "
                             "ended (accepted or failed).", journalstatus=journalpost.journalstatus)
    if lock:
        await session.execute(select(col(Dokumentbeskrivelse.system_id)).where(
            col(Dokumentbeskrivelse.system_id) == dokumentbeskrivelse_id).with_for_update())
    return beskrivelse, journalpost


async def add_version(
    session: AsyncSession, *, ctx: Context, caller: Caller, dokumentbeskrivelse_id: UUID, blob: StoredBlob,
    declared_type: str | None, filnavn: str | None, originalt_filnavn: str | None = None,
) -> tuple[Dokumentbeskrivelse, Dokumentobjekt]:
    """A new production-format (P) version: versjonsnummer = the highest so far + 1, gapless."""
    beskrivelse, journalpost = await check_new_version(
        session, caller=caller, dokumentbeskrivelse_id=dokumentbeskrivelse_id, lock=True)
    highest = (await session.execute(select(func.max(col(Dokumentobjekt.versjonsnummer))).where(
        col(Dokumentobjekt.dokumentbeskrivelse_id) == dokumentbeskrivelse_id))).scalar_one()
    who = access.actor(caller)
    objekt = Dokumentobjekt(
        dokumentbeskrivelse_id=dokumentbeskrivelse_id, versjonsnummer=(highest or 0) + 1,
        variantformat=Variantformat.P.kode, format=sniff(blob.head, declared_type), sjekksum=blob.sha256,
        filstoerrelse=blob.size, filnavn=filnavn, originalt_filnavn=originalt_filnavn, opprettet_dato=now_utc(),
        opprettet_av=who)
    session.add(objekt)
    await session.flush()
    await changelog.created(session, (objekt, "dokumentobjekt"), who=who)
    await ctx.outbox.add(session, added_event(journalpost.system_id, beskrivelse, objekt))
    return beskrivelse, objekt


async def objekter_of(session: AsyncSession, dokumentbeskrivelse_id: UUID) -> list[Dokumentobjekt]:
    query = (select(Dokumentobjekt).where(col(Dokumentobjekt.dokumentbeskrivelse_id) == dokumentbeskrivelse_id)
             .order_by(col(Dokumentobjekt.versjonsnummer), col(Dokumentobjekt.variantformat)))
    return list((await session.execute(query)).scalars())


def added_event(journalpost_id: UUID, beskrivelse: Dokumentbeskrivelse, objekt: Dokumentobjekt) -> DokumentAdded:
    return DokumentAdded(
        journalpost_id=journalpost_id, dokumentbeskrivelse_id=beskrivelse.system_id, dokumentobjekt_id=objekt.system_id,
        versjonsnummer=objekt.versjonsnummer, variantformat=Variantformat(objekt.variantformat),
        sha256=objekt.sjekksum, size=objekt.filstoerrelse, media_type=objekt.format[:255])


async def dokumentobjekt_with_record(
    session: AsyncSession, dokumentobjekt_id: UUID
) -> tuple[Dokumentobjekt, Dokumentbeskrivelse, Journalpost, Saksmappe]:
    objekt = await session.get(Dokumentobjekt, dokumentobjekt_id)
    if objekt is None:
        raise NotFound("No dokumentobjekt has this systemID.")
    beskrivelse = await session.get(Dokumentbeskrivelse, objekt.dokumentbeskrivelse_id)
    assert beskrivelse is not None
    journalpost = await get_journalpost(session, beskrivelse.journalpost_id)
    return objekt, beskrivelse, journalpost, await get_saksmappe(session, journalpost.saksmappe_id)


async def dokumentbeskrivelse_with_record(
    session: AsyncSession, dokumentbeskrivelse_id: UUID
) -> tuple[Dokumentbeskrivelse, Journalpost]:
    beskrivelse = await session.get(Dokumentbeskrivelse, dokumentbeskrivelse_id)
    if beskrivelse is None:
        raise NotFound("No dokumentbeskrivelse has this systemID.")
    return beskrivelse, await get_journalpost(session, beskrivelse.journalpost_id)


async def authorize_download(session: AsyncSession, *, caller: Caller, dokumentobjekt_id: UUID) -> Dokumentobjekt:
    """A person or system reads a document's bytes only with clearance when the record is screened."""
    objekt, _beskrivelse, journalpost, saksmappe = await dokumentobjekt_with_record(session, dokumentobjekt_id)
    resource = await access.journalpost_resource(session, journalpost, saksmappe, today_in_oslo())
    action = Action.READ_SCREENED if resource.access_code else Action.READ
    await access.authorize(session, caller, action, resource)
    return objekt


async def attach_archival_variant(
    session: AsyncSession, *, ctx: Context, caller: Caller, source_id: UUID, blob: StoredBlob,
    format_detaljer: str | None,
) -> tuple[Dokumentobjekt, bool]:
    """Idempotent: the same source gets one archival variant; a repeat returns it (False = not new)."""
    source, beskrivelse, journalpost, _saksmappe = await dokumentobjekt_with_record(session, source_id)
    if source.variantformat != Variantformat.P.kode:
        raise Unprocessable("The archival variant is made from a production-format (P) dokumentobjekt.")
    existing = (await session.execute(select(Dokumentobjekt).where(
        col(Dokumentobjekt.dokumentbeskrivelse_id) == beskrivelse.system_id,
        col(Dokumentobjekt.versjonsnummer) == source.versjonsnummer,
        col(Dokumentobjekt.variantformat) == Variantformat.A.kode))).scalar_one_or_none()
    if existing is not None:
        # PDF bytes differ on every run, so a repeat may carry other bytes: the first result stands.
        return existing, False
    who = access.actor(caller)
    objekt = Dokumentobjekt(
        dokumentbeskrivelse_id=beskrivelse.system_id, versjonsnummer=source.versjonsnummer,
        variantformat=Variantformat.A.kode, format=sniff(blob.head, "application/pdf"), format_detaljer=format_detaljer,
        sjekksum=blob.sha256, filstoerrelse=blob.size, filnavn=None, konvertert_fra_id=source.system_id,
        opprettet_dato=now_utc(), opprettet_av=who)
    session.add(objekt)
    await session.flush()
    await changelog.created(session, (objekt, "dokumentobjekt"), who=who)
    await ctx.outbox.add(session, added_event(journalpost.system_id, beskrivelse, objekt))
    return objekt, True


async def documents_for_dispatch(session: AsyncSession, *, journalpost_id: UUID, chosen: list[UUID]) -> list[UUID]:
    """The documents to send, hoveddokument first, each named by its newest version's production (P)
    dokumentobjekt: the id the dispatch material lists the document under. The SvarUt gateway sends
    the archival PDF the material names beside it, or converts on demand when there is none yet, so
    a conversion finishing between this request and the sending is still used.

    `chosen` (any dokumentobjekt ids of this journalpost: either variant, any version) narrows the
    documents; an older version's id still means its document, whose newest version is sent.
    """
    rows = (await session.execute(
        select(Dokumentbeskrivelse, Dokumentobjekt)
        .join(Dokumentobjekt, col(Dokumentobjekt.dokumentbeskrivelse_id) == col(Dokumentbeskrivelse.system_id))
        .where(col(Dokumentbeskrivelse.journalpost_id) == journalpost_id)
        .order_by(col(Dokumentbeskrivelse.dokumentnummer), col(Dokumentobjekt.versjonsnummer).desc())
    )).all()
    beskrivelser: dict[UUID, Dokumentbeskrivelse] = {}
    newest: dict[UUID, dict[str, Dokumentobjekt]] = {}  # dokumentbeskrivelse -> variantformat -> objekt
    owner: dict[UUID, UUID] = {}  # every dokumentobjekt -> its dokumentbeskrivelse
    for beskrivelse, objekt in rows:
        owner[objekt.system_id] = beskrivelse.system_id
        variants = newest.setdefault(beskrivelse.system_id, {})
        beskrivelser[beskrivelse.system_id] = beskrivelse
        if all(o.versjonsnummer == objekt.versjonsnummer for o in variants.values()):  # newest come first
            variants[objekt.variantformat] = objekt
    wanted = set(beskrivelser)
    if chosen:
        if set(chosen) - owner.keys():
            raise Unprocessable("dokumentobjekt ids given that do not belong to this journalpost.")
        wanted = {owner[i] for i in chosen}
    ordered = sorted((beskrivelser[b] for b in wanted), key=lambda b: (
        b.tilknyttet_registrering_som != TilknyttetRegistreringSom.H.kode, b.dokumentnummer))
    return [(newest[b.system_id].get(Variantformat.P.kode) or next(iter(newest[b.system_id].values()))).system_id
            for b in ordered]
