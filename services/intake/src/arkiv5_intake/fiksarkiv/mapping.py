"""From Fiks Arkiv XML to the journal's commands: pure functions, no I/O."""

from __future__ import annotations

import mimetypes
from typing import Any
from uuid import UUID

from lxml import etree

from arkiv5_contracts.codelists import (
    Avskrivningsmaate,
    CodeList,
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    Korrespondanseparttype,
    SkjermingMetadata,
    Tilgangsrestriksjon,
    TilknyttetRegistreringSom,
)
from arkiv5_contracts.identifiers import IdentifierError, validate_fodselsnummer, validate_orgnr

from ..errors import Ugyldig
from .xml import find, findall, text

# Statuses a registration may start in through the journal's API (the rest are reached by case work).
START_STATUSES = {"R", "F", "M", "S", "J"}


def kode(element: etree._Element | None, name: str) -> str | None:
    return text(element, f"{name}/kode")


def known(code_list: type[CodeList], code: str | None) -> str | None:
    """`code` when the journal's code list has it, else None (KS's lists are wider, e.g. dokumenttype SØKNAD)."""
    if code is None:
        return None
    try:
        code_list(code)
    except ValueError:
        return None
    return code


def ekstern_noekkel(element: etree._Element | None) -> tuple[str, str] | None:
    key = find(element, "referanseEksternNoekkel")
    fagsystem, noekkel = text(key, "fagsystem"), text(key, "noekkel")
    if fagsystem is None or noekkel is None:
        return None
    return fagsystem, noekkel


def as_uuid(value: str | None, what: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise Ugyldig(f"{what} is not a systemID of this archive (a UUID)") from None


def date_part(value: str | None) -> str | None:
    """xs:date or xs:dateTime → the date (the journal keeps dates)."""
    return value[:10] if value else None


def skjerming(element: etree._Element | None) -> dict[str, Any] | None:
    s = find(element, "skjerming")
    if s is None:
        return None
    tilgang = known(Tilgangsrestriksjon, kode(s, "tilgangsrestriksjon"))
    if tilgang is None:
        raise Ugyldig("skjerming/tilgangsrestriksjon is not a code this archive knows")
    metadata = [known(SkjermingMetadata, text(m, "kode")) for m in findall(s, "skjermingMetadata")]
    return {"tilgangsrestriksjon": tilgang, "skjermingshjemmel": text(s, "skjermingshjemmel"),
            "skjermingMetadata": [m for m in metadata if m] or ["TRO"],
            "skjermingOpphoererDato": date_part(text(s, "skjermingOpphoererDato"))}


def korrespondansepart(element: etree._Element, left_out: list[str] | None = None, *,
                       number: int = 1) -> dict[str, Any]:
    """The journal's KorrespondansepartIn.

    A personid or organisasjonid that no reading accepts (its check digits fail; synthetic test
    numbers pass here and are the journal's to judge) is not sent: the journal refuses such an
    identifier, and a fagsystem's record is not refused for it (KS's own test messages carry
    123456789). What was left out, and why, is added to `left_out` — never the value.
    """
    part_type = known(Korrespondanseparttype, kode(element, "korrespondanseparttype"))
    if part_type is None:
        raise Ugyldig("korrespondansepart/korrespondanseparttype is not a code this archive knows")
    part: dict[str, Any] = {"korrespondanseparttype": part_type,
                            "korrespondansepartNavn": text(element, "korrespondansepartNavn")}
    if (personid := text(element, "personid")) is not None:
        try:
            part["foedselsnummer"] = validate_fodselsnummer(personid, allow_synthetic=True)
        except IdentifierError as problem:
            _leave_out(left_out, number, part_type, "personid", problem)
    elif (orgid := text(element, "organisasjonid")) is not None:
        try:
            part["organisasjonsnummer"] = validate_orgnr(orgid)
        except IdentifierError as problem:
            _leave_out(left_out, number, part_type, "organisasjonid", problem)
    adresse = [line.text.strip() for line in findall(element, "postadresse") if line.text and line.text.strip()]
    if adresse:
        part["postadresse"] = adresse[:5]
    for name in ("postnummer", "poststed", "epostadresse", "kontaktperson"):
        if (value := text(element, name)) is not None:
            part[name] = value
    if (telefon := text(element, "telefonnummer")) is not None:
        part["telefonnummer"] = telefon
    return part


def dokumentbeskrivelser(registrering: etree._Element, attachments: dict[str, bytes]) -> tuple[
        list[dict[str, Any]], list[tuple[str, str, bytes, str]]]:
    """The journal's `dokumentbeskrivelse` entries and the files (part, file name, bytes, media type).

    Each dokumentobjekt names its file by referanseDokumentfil; the file must be among the attachments.
    """
    entries: list[dict[str, Any]] = []
    files: list[tuple[str, str, bytes, str]] = []
    for index, beskrivelse in enumerate(findall(registrering, "dokumentbeskrivelse")):
        objekter = findall(beskrivelse, "dokumentobjekt")
        if not objekter:
            continue
        objekt = objekter[0]  # the journal takes one file per dokumentbeskrivelse at registration
        referanse = text(objekt, "referanseDokumentfil")
        filnavn = text(objekt, "filnavn") or referanse or f"dokument-{index + 1}"
        if referanse is None or referanse not in attachments:
            raise Ugyldig(f"dokumentbeskrivelse {index + 1}: referanseDokumentfil names no attached file")
        part = f"fil{index + 1}"
        media_type = mimetypes.guess_type(filnavn)[0] or "application/octet-stream"
        files.append((part, filnavn, attachments[referanse], media_type))
        entry: dict[str, Any] = {"fil": part, "tittel": text(beskrivelse, "tittel")}
        if (dokumenttype := known(Dokumenttype, kode(beskrivelse, "dokumenttype"))) is not None:
            entry["dokumenttype"] = dokumenttype
        if (som := known(TilknyttetRegistreringSom, kode(beskrivelse, "tilknyttetRegistreringSom"))) is not None:
            entry["tilknyttetRegistreringSom"] = som
        entries.append(entry)
    return entries, files


def _leave_out(left_out: list[str] | None, number: int, part_type: str, field: str,
               problem: IdentifierError) -> None:
    where = f"korrespondansepart {number} ({part_type}): {field}"
    if left_out is None:
        raise Ugyldig(f"{where}: {problem.message}")
    left_out.append(f"{where} not kept: {problem.message}")


def journalpost(registrering: etree._Element, left_out: list[str] | None = None) -> dict[str, Any]:
    """The journal's JournalpostCreate from a Fiks Arkiv registrering of xsi:type journalpost."""
    posttype = known(Journalposttype, kode(registrering, "journalposttype"))
    if posttype is None:
        raise Ugyldig("journalposttype is not a code this archive knows (I, U, N, X, S)")
    body: dict[str, Any] = {"journalposttype": posttype, "tittel": text(registrering, "tittel")}
    status = known(Journalstatus, kode(registrering, "journalstatus"))
    if status in START_STATUSES and not (posttype == "I" and status in ("R", "F")):
        body["journalstatus"] = status
    if (offentlig := text(registrering, "offentligTittel")) is not None:
        body["offentligTittel"] = offentlig
    for name in ("dokumentetsDato", "mottattDato", "sendtDato", "forfallsdato", "offentlighetsvurdertDato"):
        if (value := date_part(text(registrering, name))) is not None:
            body[name] = value
    if posttype == "I" and "mottattDato" not in body:
        raise Ugyldig("an incoming journalpost (I) needs mottattDato")
    if (s := skjerming(registrering)) is not None:
        body["skjerming"] = s
    parts = [korrespondansepart(p, left_out, number=number)
             for number, p in enumerate(findall(registrering, "korrespondansepart"), start=1)]
    if parts:
        body["korrespondansepart"] = parts
    return body


def saksmappe(mappe: etree._Element, *, default_enhet: UUID) -> dict[str, Any]:
    body: dict[str, Any] = {"tittel": text(mappe, "tittel"), "administrativEnhet": str(default_enhet)}
    if (offentlig := text(mappe, "offentligTittel")) is not None:
        body["offentligTittel"] = offentlig
    if (saksdato := date_part(text(mappe, "saksdato"))) is not None:
        body["saksdato"] = saksdato
    if (s := skjerming(mappe)) is not None:
        body["skjerming"] = s
    return body


def avskrivning(element: etree._Element) -> dict[str, Any]:
    a = find(element, "avskrivning")
    maate = known(Avskrivningsmaate, kode(a, "avskrivningsmaate"))
    if maate is None:
        raise Ugyldig("avskrivning/avskrivningsmaate is not a code this archive knows")
    body: dict[str, Any] = {"avskrivningsmaate": maate}
    if (dato := date_part(text(a, "avskrivningsdato"))) is not None:
        body["avskrivningsdato"] = dato
    return body
