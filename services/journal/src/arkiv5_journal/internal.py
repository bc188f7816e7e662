"""What other Arkiv5 services need from the journal (docs/conversion.md, docs/svarut-gateway.md).

These calls are made with service tokens; the scope (and, for the broad `journal.read`, the
intern-tjeneste role) is the permission, so no case-level policy check runs here.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import TilknyttetRegistreringSom, Variantformat
from arkiv5_contracts.internal import (
    DispatchMaterial,
    DocumentRef,
    NoarkMetadata,
    PostalAddress,
    ProductionDocument,
    Recipient,
)
from arkiv5_kit.auth import Principal as Caller
from arkiv5_kit.errors import Conflict, Unprocessable

from .authz import access
from .blobstore import StoredBlob
from .context import Context, now_utc
from .documents import added_event
from .domain.numbering import today_in_oslo
from .models import Dokumentbeskrivelse, Dokumentobjekt, Journalpost, Korrespondansepart, Saksmappe
from .service import EXTERNAL_RECIPIENTS
from .sniffing import sniff
from .store import changelog
from .store.repository import get_journalpost, get_saksmappe


async def production_documents(session: AsyncSession, *, journalpost_id: UUID) -> list[ProductionDocument]:
    """The production-format (P) dokumentobjekter of a journalpost: what conversion converts."""
    await get_journalpost(session, journalpost_id)
    rows = (await session.execute(
        select(Dokumentobjekt)
        .join(Dokumentbeskrivelse, col(Dokumentobjekt.dokumentbeskrivelse_id) == col(Dokumentbeskrivelse.system_id))
        .where(col(Dokumentbeskrivelse.journalpost_id) == journalpost_id,
               col(Dokumentobjekt.variantformat) == Variantformat.P.kode)
        .order_by(col(Dokumentbeskrivelse.dokumentnummer), col(Dokumentobjekt.versjonsnummer))
    )).scalars()
    return [ProductionDocument(dokumentobjekt_id=o.system_id, sha256=o.sjekksum, size=o.filstoerrelse,
                               media_type=o.format, variantformat=o.variantformat) for o in rows]


def check_source_checksum(source: Dokumentobjekt, source_sha256: str | None) -> None:
    """The archival variant belongs to the bytes it was made from; other bytes are a stale result."""
    if source_sha256 is not None and source_sha256.strip().lower() != source.sjekksum:
        raise Conflict("X-Source-Sha256 is not the checksum of this dokumentobjekt; nothing was attached.")


async def file_attachment(
    session: AsyncSession, *, ctx: Context, caller: Caller, journalpost_id: UUID, key: str, blob: StoredBlob,
    tittel: str, filnavn: str | None, declared_type: str | None,
) -> tuple[Dokumentbeskrivelse, Dokumentobjekt, bool]:
    """An e-mail's attachment as its own dokumentbeskrivelse (V, variant P); once per key."""
    existing = await _by_key(session, key)
    if existing is not None:
        if existing[0].journalpost_id != journalpost_id:
            raise Conflict("This Idempotency-Key was used for another journalpost.")
        return (*existing, False)
    await get_journalpost(session, journalpost_id)
    count = (await session.execute(select(func.count()).select_from(Dokumentbeskrivelse).where(
        col(Dokumentbeskrivelse.journalpost_id) == journalpost_id))).scalar_one()
    who = access.actor(caller)
    now = now_utc()
    beskrivelse = Dokumentbeskrivelse(
        journalpost_id=journalpost_id, dokumentnummer=count + 1, tittel=tittel,
        tilknyttet_registrering_som=TilknyttetRegistreringSom.V.kode, tilknyttet_dato=today_in_oslo(),
        tilknyttet_av=who, opprettet_dato=now, opprettet_av=who, kilde_noekkel=key)
    session.add(beskrivelse)
    await session.flush()
    objekt = Dokumentobjekt(
        dokumentbeskrivelse_id=beskrivelse.system_id, versjonsnummer=1, variantformat=Variantformat.P.kode,
        format=sniff(blob.head, declared_type), sjekksum=blob.sha256, filstoerrelse=blob.size,
        filnavn=filnavn[:255] if filnavn else None, opprettet_dato=now, opprettet_av=who)
    session.add(objekt)
    await session.flush()
    await changelog.created(session, (beskrivelse, "dokumentbeskrivelse"), (objekt, "dokumentobjekt"), who=who)
    await ctx.outbox.add(session, added_event(journalpost_id, beskrivelse, objekt))
    return beskrivelse, objekt, True


async def _by_key(session: AsyncSession, key: str) -> tuple[Dokumentbeskrivelse, Dokumentobjekt] | None:
    row = (await session.execute(
        select(Dokumentbeskrivelse, Dokumentobjekt)
        .join(Dokumentobjekt, col(Dokumentobjekt.dokumentbeskrivelse_id) == col(Dokumentbeskrivelse.system_id))
        .where(col(Dokumentbeskrivelse.kilde_noekkel) == key, col(Dokumentobjekt.variantformat) == Variantformat.P.kode)
    )).first()
    return (row[0], row[1]) if row else None


def _address(part: Korrespondansepart) -> PostalAddress | None:
    lines = list(part.postadresse or [])
    if not (lines or part.postnummer or part.poststed):
        return None
    land = (part.land or "").strip()
    landkode = land.upper() if len(land) == 2 else ("NO" if land.lower() in ("", "norge", "norway") else None)
    return PostalAddress(adresselinje1=lines[0] if lines else None,
                         adresselinje2=lines[1] if len(lines) > 1 else None,
                         adresselinje3=", ".join(lines[2:]) or None, postnummer=part.postnummer,
                         poststed=part.poststed, landkode=landkode)


async def dispatch_material(session: AsyncSession, *, journalpost_id: UUID) -> DispatchMaterial:
    """Everything the SvarUt gateway needs to send the letter: recipients, documents, Noark metadata."""
    journalpost: Journalpost = await get_journalpost(session, journalpost_id)
    saksmappe: Saksmappe = await get_saksmappe(session, journalpost.saksmappe_id)
    parts = (await session.execute(select(Korrespondansepart).where(
        col(Korrespondansepart.journalpost_id) == journalpost_id,
        col(Korrespondansepart.korrespondanseparttype).in_(EXTERNAL_RECIPIENTS)))).scalars()
    recipients = [Recipient(
        korrespondansepart_id=p.system_id, navn=p.korrespondansepart_navn, fodselsnummer=p.foedselsnummer,
        organisasjonsnummer=p.organisasjonsnummer, postadresse=_address(p)) for p in parts]
    rows = (await session.execute(
        select(Dokumentbeskrivelse, Dokumentobjekt)
        .join(Dokumentobjekt, col(Dokumentobjekt.dokumentbeskrivelse_id) == col(Dokumentbeskrivelse.system_id))
        .where(col(Dokumentbeskrivelse.journalpost_id) == journalpost_id)
        .order_by(col(Dokumentbeskrivelse.dokumentnummer), col(Dokumentobjekt.versjonsnummer))
    )).all()
    by_beskrivelse: dict[UUID, tuple[Dokumentbeskrivelse, dict[str, Dokumentobjekt]]] = {}
    for beskrivelse, objekt in rows:
        # The newest version wins; within it, one object per variant (never an older version's
        # archival variant beside a newer production variant).
        entry = by_beskrivelse.setdefault(beskrivelse.system_id, (beskrivelse, {}))
        if any(o.versjonsnummer < objekt.versjonsnummer for o in entry[1].values()):
            entry[1].clear()
        entry[1][objekt.variantformat] = objekt
    documents = []
    for beskrivelse, variants in sorted(by_beskrivelse.values(),
                                        key=lambda e: (e[0].tilknyttet_registrering_som != "H", e[0].dokumentnummer)):
        source = variants.get(Variantformat.P.kode) or next(iter(variants.values()))
        archival = variants.get(Variantformat.A.kode)
        documents.append(DocumentRef(
            dokumentobjekt_id=source.system_id, filnavn=source.filnavn, tittel=beskrivelse.tittel,
            media_type=source.format, hoveddokument=beskrivelse.tilknyttet_registrering_som == "H",
            archival_pdf_dokumentobjekt_id=archival.system_id
            if archival is not None and archival.format == "application/pdf" else None))
    return DispatchMaterial(
        journalpost_id=journalpost.system_id, tittel=journalpost.tittel,
        skjermet=bool(journalpost.tilgangsrestriksjon or saksmappe.tilgangsrestriksjon),
        recipients=recipients, documents=documents,
        metadata=NoarkMetadata(
            saksaar=saksmappe.saksaar, sakssekvensnummer=saksmappe.sakssekvensnummer,
            journalaar=journalpost.journalaar, journalsekvensnummer=journalpost.journalsekvensnummer,
            journalpostnummer=journalpost.journalpostnummer, journalposttype=journalpost.journalposttype,
            journalstatus=journalpost.journalstatus, journaldato=journalpost.journaldato,
            dokumentetsDato=journalpost.dokumentets_dato,
            # The journal holds person ids, not names; the access service is the register of names.
            saksbehandler=None))


def check_archival_checksum(blob: StoredBlob, archival_sha256: str | None) -> None:
    if archival_sha256 is not None and archival_sha256.strip().lower() != blob.sha256:
        raise Unprocessable("X-Archival-Sha256 does not match the received bytes; nothing was attached.")

