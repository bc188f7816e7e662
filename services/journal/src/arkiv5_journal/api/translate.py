"""Entry-point translation: a registration request (JSON, or multipart with file parts) into the command.

Part names belong to HTTP: here they pair each file with its metadata, and the command
carries only blob references.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from arkiv5_kit.limits import safe_filename

from ..blobstore import StoredBlob
from ..errors import ChecksumMismatch, Unprocessable
from ..journalpost.commands import NewDocument, NewKorrespondansepart, RegisterJournalpost, Skjerming
from ..schemas import JournalpostCreate


def file_name(sent: str | None) -> tuple[str | None, str | None]:
    """The name to store for a file a client names (a safe base name, its extension kept) and the
    name as sent when that differs (kept as metadata, never used as a path)."""
    if not sent:
        return None, None
    safe = safe_filename(sent)
    return safe.name, (safe.original if safe.changed else None)


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
        filnavn, originalt_filnavn = file_name(filename)
        documents.append(NewDocument(
            blob=blob, declared_type=content_type, filnavn=filnavn, originalt_filnavn=originalt_filnavn,
            tittel=metadata.tittel if metadata else None,
            dokumenttype=metadata.dokumenttype if metadata else None,
            tilknyttet_registrering_som=metadata.tilknyttet_registrering_som if metadata else None,
            skanning_kontrollert=metadata.skanning_kontrollert if metadata else None))
    return documents


def _error(index: int, field: str, message: str, code: str) -> dict[str, str]:
    return {"field": f"body.dokumentbeskrivelse.{index}.{field}", "message": message, "code": code}


def registration_command(saksmappe_id: UUID, body: JournalpostCreate,
                         documents: list[NewDocument]) -> RegisterJournalpost:
    if body.dokumentbeskrivelse and not documents:
        raise Unprocessable("dokumentbeskrivelse describes file parts, but the request has none: send the "
                            "journalpost and its files as multipart/form-data.")
    skjerming = body.skjerming
    return RegisterJournalpost(
        saksmappe_id=saksmappe_id, journalposttype=body.journalposttype, journalstatus=body.journalstatus,
        tittel=body.tittel, skjermede_ord=list(body.skjermede_ord), offentlig_tittel=body.offentlig_tittel,
        er_vedtak=body.er_vedtak, dokumentets_dato=body.dokumentets_dato, mottatt_dato=body.mottatt_dato,
        sendt_dato=body.sendt_dato, forfallsdato=body.forfallsdato,
        offentlighetsvurdert_dato=body.offentlighetsvurdert_dato, administrativ_enhet=body.administrativ_enhet,
        saksbehandler=body.saksbehandler, etterregistrering=body.etterregistrering,
        skjerming=Skjerming(
            tilgangsrestriksjon=skjerming.tilgangsrestriksjon, skjermingshjemmel=skjerming.skjermingshjemmel,
            skjerming_metadata=list(skjerming.skjerming_metadata),
            skjerming_opphoerer_dato=skjerming.skjerming_opphoerer_dato) if skjerming else None,
        korrespondansepart=[NewKorrespondansepart(
            korrespondanseparttype=p.korrespondanseparttype, korrespondansepart_navn=p.korrespondansepart_navn,
            foedselsnummer=p.foedselsnummer, organisasjonsnummer=p.organisasjonsnummer,
            postadresse=list(p.postadresse), postnummer=p.postnummer, poststed=p.poststed, land=p.land,
            epostadresse=p.epostadresse, telefonnummer=p.telefonnummer, kontaktperson=p.kontaktperson,
            administrativ_enhet=p.administrativ_enhet, saksbehandler=p.saksbehandler)
            for p in body.korrespondansepart],
        documents=documents)
