"""The dispatch material: everything the SvarUt gateway needs to send a letter (docs/svarut-gateway.md).

Read with a service token; the scope is the permission, so no case-level policy check runs here.
"""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.codelists import Variantformat
from arkiv5_contracts.internal import DispatchMaterial, DocumentRef, NoarkMetadata, PostalAddress, Recipient

from ..domain.sending import EXTERNAL_RECIPIENTS
from ..models import Dokumentbeskrivelse, Dokumentobjekt, Journalpost, Korrespondansepart, Saksmappe
from ..store.repository import get_journalpost, get_saksmappe


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
            # The journal holds person ids, not names (the access service is the register of names):
            # the case handler goes out as the person id, so the receiver can name who to ask.
            saksbehandler=str(journalpost.saksbehandler_id) if journalpost.saksbehandler_id else None))
