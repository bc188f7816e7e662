"""Noark 5 v5.0 elements as the journal's records: code names to codes, dates as the journal keeps them.

Code names (`Journalført`) become the journal's codes (`J`); a value the journal cannot hold
(an unknown code name, a number that is not a number) raises `Unmappable` with the reason,
and the importer refuses that saksmappe rather than keep a half-read record. Records without
a systemID in the extraction (korrespondansepart, part, merknad, avskrivning) get one derived
from their owner's, the same on every run, so a rerun recognises them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5
from zoneinfo import ZoneInfo

from arkiv5_contracts.codelists import (
    Avskrivningsmaate,
    Dokumentstatus,
    Dokumenttype,
    Journalposttype,
    Journalstatus,
    Korrespondanseparttype,
    PartRolle,
    Saksstatus,
    SkjermingMetadata,
    Tilgangsrestriksjon,
    TilknyttetRegistreringSom,
    Variantformat,
)

from ..models import (
    Arkiv,
    Arkivdel,
    Avskrivning,
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Journalpost,
    Klasse,
    Klassifikasjonssystem,
    Korrespondansepart,
    Merknad,
    Part,
    Saksmappe,
)
from .codes import Unmappable, code_of, optional_code_of
from .lengths import check_lengths

NOARK = "http://www.arkivverket.no/standarder/noark5/"
AS = "{" + NOARK + "arkivstruktur}"
EN = "{" + NOARK + "endringslogg}"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
OSLO = ZoneInfo("Europe/Oslo")
NO_SCREENED_METADATA = "Ingen metadata skjermet"
EMPTY_VALUE = "NULL"
CLOSED = {"A", "U"}
IMPORTED_BY = "migrering"
_ORIGIN = uuid5(NAMESPACE_URL, "urn:arkiv5:migrering")


def _records_of(mappe: Mappe) -> Iterator[Any]:
    yield from mappe.structure
    yield mappe.saksmappe
    yield from mappe.parts
    yield from mappe.merknader
    for post in mappe.poster:
        yield post.journalpost
        yield from post.parts
        yield from post.avskrivninger
        yield from post.merknader
        for dokument in post.dokumenter:
            yield dokument.beskrivelse
            yield from (objekt for objekt, _path in dokument.objekter)


def with_values(record: Any, **changes: Any) -> Any:
    """A copy of a constructed record with some values changed (one made by `model_construct` cannot be set)."""
    return type(record).model_construct(**{**{name: getattr(record, name) for name in record.__table__.columns.keys()},
                                           **changes})


@dataclass
class Dokument:
    beskrivelse: Dokumentbeskrivelse
    objekter: list[tuple[Dokumentobjekt, str]] = field(default_factory=list)
    """Each dokumentobjekt with its referanseDokumentfil (a path inside the extraction)."""


@dataclass
class Post:
    journalpost: Journalpost
    parts: list[Korrespondansepart]
    dokumenter: list[Dokument]
    avskrivninger: list[Avskrivning]
    merknader: list[Merknad]


@dataclass
class Mappe:
    structure: list[Any]
    """Arkiv, arkivdel, klassifikasjonssystem and klasse above the case, parents first."""
    saksmappe: Saksmappe
    parts: list[Part]
    merknader: list[Merknad]
    poster: list[Post]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    """(systemID, reason) of registreringer that are not journalposts."""


def _text(element: Any, tag: str) -> str | None:
    """A child's text; each element's children are read once (findtext per field costs more than the rest)."""
    leaves = _LEAVES.get(element)
    if leaves is None:
        leaves = _LEAVES[element] = {child.tag: child.text for child in reversed(element)}  # the first one wins
    value = leaves.get(AS + tag)
    return value.strip() if value is not None and value.strip() else None


_LEAVES: dict[Any, dict[Any, str | None]] = {}
"""The children's texts of the elements of the saksmappe being read (emptied for each one)."""


def _required(element: Any, tag: str) -> str:
    value = _text(element, tag)
    if value is None:
        raise Unmappable(f"{tag} is missing")
    return value


def _int(value: str | None, tag: str) -> int:
    try:
        return int(value or "")
    except ValueError:
        raise Unmappable(f"{tag} is not a whole number") from None


def _uuid(value: str | None, tag: str) -> UUID:
    try:
        return UUID(value or "")
    except ValueError:
        raise Unmappable(f"{tag} is not a UUID") from None


def _reference(value: str | None) -> UUID | None:
    """A unit or person reference: the journal's UUID, or one derived from another system's identifier."""
    if value is None:
        return None
    try:
        return UUID(value)
    except ValueError:
        return uuid5(_ORIGIN, value)


def _datetime(value: str | None, tag: str) -> datetime:
    if value is None:
        raise Unmappable(f"{tag} is missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise Unmappable(f"{tag} is not a date and time") from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=OSLO)


def _date(value: str | None, tag: str) -> date:
    """An xs:date, or the Oslo day of an xs:dateTime (the schema's type for several date fields)."""
    if value is None:
        raise Unmappable(f"{tag} is missing")
    try:
        if len(value) > 10 and "T" in value:
            moment = datetime.fromisoformat(value)
            return moment.astimezone(OSLO).date() if moment.tzinfo else moment.date()
        return date.fromisoformat(value[:10])
    except ValueError:
        raise Unmappable(f"{tag} is not a date") from None


def _optional_date(element: Any, tag: str) -> date | None:
    value = _text(element, tag)
    return _date(value, tag) if value is not None else None


def _created(element: Any) -> dict[str, Any]:
    return {"opprettet_dato": _datetime(_text(element, "opprettetDato"), "opprettetDato"),
            "opprettet_av": (_text(element, "opprettetAv") or IMPORTED_BY)[:255]}


def _skjerming(element: Any) -> dict[str, Any]:
    skjerming = element.find(AS + "skjerming")
    if skjerming is None:
        return {"tilgangsrestriksjon": None, "skjermingshjemmel": None, "skjerming_metadata": [],
                "skjerming_opphoerer_dato": None}
    metadata = [m.text.strip() for m in skjerming.iterfind(AS + "skjermingMetadata") if m.text and m.text.strip()]
    return {"tilgangsrestriksjon": code_of(Tilgangsrestriksjon, _text(skjerming, "tilgangsrestriksjon")),
            "skjermingshjemmel": _text(skjerming, "skjermingshjemmel"),
            "skjerming_metadata": [c for c in (optional_code_of(SkjermingMetadata, m)
                                               for m in metadata if m != NO_SCREENED_METADATA) if c],
            "skjerming_opphoerer_dato": _optional_date(skjerming, "skjermingOpphoererDato")}


def _merknader(element: Any, owner: UUID, *, saksmappe_id: UUID | None = None,
               journalpost_id: UUID | None = None) -> list[Merknad]:
    found = []
    for number, m in enumerate(element.iterfind(AS + "merknad")):
        found.append(Merknad.model_construct(
            system_id=_reference(_text(m, "systemID")) or uuid5(owner, f"merknad:{number}"),
            saksmappe_id=saksmappe_id, journalpost_id=journalpost_id, merknadstekst=_required(m, "merknadstekst"),
            merknadstype=_text(m, "merknadstype"), merknadsdato=_datetime(_text(m, "merknadsdato"), "merknadsdato"),
            merknad_registrert_av=(_text(m, "merknadRegistrertAv") or IMPORTED_BY)[:255]))
    return found


def _structure(mappe: Any) -> list[Any]:
    """The records above a mappe, read from its ancestors (their own elements precede their children)."""
    found: list[Any] = []
    system_id: UUID | None = None
    parent = mappe.getparent()
    while parent is not None:
        tag = parent.tag
        if tag == AS + "klasse" and not any(isinstance(r, Klasse) for r in found):
            holder = parent.getparent()
            found.append(("klasse", parent, holder))
        elif tag == AS + "klassifikasjonssystem":
            system_id = _uuid(_text(parent, "systemID"), "systemID")
            found.append(Klassifikasjonssystem.model_construct(
                system_id=system_id, klassifikasjonstype=_text(parent, "klassifikasjonstype"),
                tittel=_text(parent, "tittel") or "Klassifikasjonssystem", **_created(parent)))
        elif tag == AS + "arkivdel":
            found.append(Arkivdel.model_construct(
                system_id=_uuid(_text(parent, "systemID"), "systemID"),
                arkiv_id=_uuid(_text(parent.getparent(), "systemID"), "systemID"), tittel=_required(parent, "tittel"),
                arkivdelstatus="A", klassifikasjonssystem_id=system_id, **_created(parent)))
        elif tag == AS + "arkiv":
            found.append(Arkiv.model_construct(
                system_id=_uuid(_text(parent, "systemID"), "systemID"), tittel=_required(parent, "tittel"),
                beskrivelse=_text(parent, "beskrivelse"), arkivstatus="O", **_created(parent)))
        parent = parent.getparent()
    records = []
    for item in reversed(found):
        if isinstance(item, tuple):
            _, klasse, holder = item
            if system_id is None or holder is None:
                raise Unmappable("klasse outside a klassifikasjonssystem")
            records.append(Klasse.model_construct(
                system_id=_uuid(_text(klasse, "systemID"), "systemID"), klassifikasjonssystem_id=system_id,
                klasse_id=_required(klasse, "klasseID")[:100], tittel=_text(klasse, "tittel") or "", **_created(klasse)))
        else:
            records.append(item)
    return records


def _saksmappe(element: Any, structure: list[Any]) -> Saksmappe:
    system_id = _uuid(_text(element, "systemID"), "systemID")
    arkivdel = next(r for r in structure if isinstance(r, Arkivdel))
    klasse = next((r for r in structure if isinstance(r, Klasse)), None)
    saksaar = _int(_text(element, "saksaar"), "saksaar")
    sekvens = _int(_text(element, "sakssekvensnummer"), "sakssekvensnummer")
    status = code_of(Saksstatus, _text(element, "saksstatus"))
    closed = status in CLOSED
    tittel = _required(element, "tittel")
    enhet = _reference(_text(element, "administrativEnhet")) or uuid5(_ORIGIN, "administrativEnhet")
    return Saksmappe.model_construct(
        system_id=system_id, arkivdel_id=arkivdel.system_id, klasse_id=klasse.system_id if klasse else None,
        mappe_id=(_text(element, "mappeID") or f"{saksaar}/{sekvens}")[:50], saksaar=saksaar, sakssekvensnummer=sekvens,
        saksdato=_date(_text(element, "saksdato"), "saksdato"), tittel=tittel,
        offentlig_tittel=_text(element, "offentligTittel") or tittel, administrativ_enhet_id=enhet,
        saksansvarlig_id=_reference(_text(element, "saksansvarlig")), saksstatus=status,
        avsluttet_dato=_optional_date(element, "avsluttetDato") if closed else None,
        avsluttet_av=_text(element, "avsluttetAv") if closed else None, sekundaer_klassifikasjon=None,
        siste_journalpostnummer=0, versjon=1, **_skjerming(element), **_created(element))


def _korrespondanseparter(element: Any, journalpost_id: UUID) -> list[Korrespondansepart]:
    parts = []
    for number, p in enumerate(element.iterfind(AS + "korrespondansepart")):
        parts.append(Korrespondansepart.model_construct(
            system_id=_reference(_text(p, "systemID")) or uuid5(journalpost_id, f"korrespondansepart:{number}"),
            journalpost_id=journalpost_id,
            korrespondanseparttype=code_of(Korrespondanseparttype, _text(p, "korrespondanseparttype")),
            korrespondansepart_navn=_required(p, "korrespondansepartNavn")[:500], foedselsnummer=None,
            organisasjonsnummer=None,
            postadresse=[a.text.strip() for a in p.iterfind(AS + "postadresse") if a.text and a.text.strip()],
            postnummer=_text(p, "postnummer"), poststed=_text(p, "poststed"), land=_text(p, "land"),
            epostadresse=_text(p, "epostadresse"), telefonnummer=_text(p, "telefonnummer"),
            kontaktperson=_text(p, "kontaktperson"), administrativ_enhet_id=_reference(_text(p, "administrativEnhet")),
            saksbehandler_id=_reference(_text(p, "saksbehandler")), forsendelse_status=None,
            forsendelse_feilkode=None, forsendelse_feil=None))
    return parts


def _dokumenter(element: Any, journalpost_id: UUID) -> list[Dokument]:
    found = []
    for b in element.iterfind(AS + "dokumentbeskrivelse"):
        system_id = _uuid(_text(b, "systemID"), "systemID")
        beskrivelse = Dokumentbeskrivelse.model_construct(
            system_id=system_id, journalpost_id=journalpost_id,
            dokumentnummer=_int(_text(b, "dokumentnummer"), "dokumentnummer"),
            dokumenttype=optional_code_of(Dokumenttype, _text(b, "dokumenttype")),
            dokumentstatus=code_of(Dokumentstatus, _text(b, "dokumentstatus")), tittel=_required(b, "tittel"),
            tilknyttet_registrering_som=code_of(TilknyttetRegistreringSom, _text(b, "tilknyttetRegistreringSom")),
            tilknyttet_dato=_date(_text(b, "tilknyttetDato") or _text(b, "opprettetDato"), "tilknyttetDato"),
            tilknyttet_av=(_text(b, "tilknyttetAv") or IMPORTED_BY)[:255], skanning_kontrollert=None,
            kilde_noekkel=None, **_created(b))
        dokument = Dokument(beskrivelse)
        for o in b.iterfind(AS + "dokumentobjekt"):
            path = _required(o, "referanseDokumentfil")
            dokument.objekter.append((Dokumentobjekt.model_construct(
                system_id=_uuid(_text(o, "systemID"), "systemID"), dokumentbeskrivelse_id=system_id,
                versjonsnummer=_int(_text(o, "versjonsnummer"), "versjonsnummer"),
                variantformat=code_of(Variantformat, _text(o, "variantformat")),
                format=(_text(o, "format") or "application/octet-stream")[:255],
                format_detaljer=(_text(o, "formatDetaljer") or "")[:255] or None,
                sjekksum=_required(o, "sjekksum").lower(), sjekksum_algoritme="SHA-256",
                filstoerrelse=_int(_text(o, "filstoerrelse"), "filstoerrelse"),
                filnavn=path.rsplit("/", 1)[-1][:255], originalt_filnavn=None, konvertert_fra_id=None,
                **_created(o)), path))
        found.append(dokument)
    return found


def _avskrivninger(element: Any, journalpost_id: UUID) -> list[Avskrivning]:
    found = []
    for number, a in enumerate(element.iterfind(AS + "avskrivning")):
        reference = _text(a, "referanseAvskrivesAvJournalpost")
        found.append(Avskrivning.model_construct(
            system_id=uuid5(journalpost_id, f"avskrivning:{number}"), journalpost_id=journalpost_id,
            avskrivningsdato=_date(_text(a, "avskrivningsdato"), "avskrivningsdato"),
            avskrevet_av=(_text(a, "avskrevetAv") or IMPORTED_BY)[:255],
            avskrivningsmaate=code_of(Avskrivningsmaate, _text(a, "avskrivningsmaate")),
            referanse_avskrives_av_journalpost=_uuid(reference, "referanseAvskrivesAvJournalpost") if reference else None))
    return found


def _post(element: Any, saksmappe: Saksmappe) -> Post:
    system_id = _uuid(_text(element, "systemID"), "systemID")
    tittel = _required(element, "tittel")
    journalpost = Journalpost.model_construct(
        system_id=system_id, saksmappe_id=saksmappe.system_id,
        journalaar=_int(_text(element, "journalaar"), "journalaar"),
        journalsekvensnummer=_int(_text(element, "journalsekvensnummer"), "journalsekvensnummer"),
        journalpostnummer=_int(_text(element, "journalpostnummer"), "journalpostnummer"),
        journalposttype=code_of(Journalposttype, _text(element, "journalposttype")),
        journalstatus=code_of(Journalstatus, _text(element, "journalstatus")),
        journaldato=_date(_text(element, "journaldato"), "journaldato"), tittel=tittel,
        offentlig_tittel=_text(element, "offentligTittel") or tittel, er_vedtak=False,
        dokumentets_dato=_optional_date(element, "dokumentetsDato"), mottatt_dato=_optional_date(element, "mottattDato"),
        sendt_dato=_optional_date(element, "sendtDato"), forfallsdato=_optional_date(element, "forfallsdato"),
        offentlighetsvurdert_dato=_optional_date(element, "offentlighetsvurdertDato"),
        administrativ_enhet_id=saksmappe.administrativ_enhet_id, saksbehandler_id=None, er_etterregistrert=False,
        har_forsendelsesfeil=False, versjon=1, **_skjerming(element), **_created(element))
    return Post(journalpost=journalpost, parts=_korrespondanseparter(element, system_id),
                dokumenter=_dokumenter(element, system_id), avskrivninger=_avskrivninger(element, system_id),
                merknader=_merknader(element, system_id, journalpost_id=system_id))


def mappe_of(element: Any) -> Mappe:
    _LEAVES.clear()
    structure = _structure(element)
    if not any(isinstance(r, Arkivdel) for r in structure):
        raise Unmappable("mappe outside an arkivdel")
    saksmappe = _saksmappe(element, structure)
    parts = [Part.model_construct(system_id=_reference(_text(p, "systemID")) or uuid5(saksmappe.system_id, f"part:{n}"),
                                  saksmappe_id=saksmappe.system_id, part_navn=_required(p, "partNavn")[:500],
                                  part_rolle=code_of(PartRolle, _text(p, "partRolle")), foedselsnummer=None,
                                  organisasjonsnummer=None)
             for n, p in enumerate(element.iterfind(AS + "part"))]
    mappe = Mappe(structure=structure, saksmappe=saksmappe, parts=parts,
                  merknader=_merknader(element, saksmappe.system_id, saksmappe_id=saksmappe.system_id), poster=[])
    for registrering in element.iterfind(AS + "registrering"):
        if registrering.get(XSI_TYPE, "").split(":")[-1] != "journalpost":
            mappe.skipped.append((_text(registrering, "systemID") or "", "registrering that is not a journalpost"))
            continue
        mappe.poster.append(_post(registrering, saksmappe))
    if mappe.poster:
        mappe.saksmappe = with_values(saksmappe, siste_journalpostnummer=max(
            p.journalpost.journalpostnummer for p in mappe.poster))
    check_lengths(_records_of(mappe))
    return mappe


def endring_of(element: Any, number: int) -> Endringslogg:
    """One endring; its id derived from its place and content (the same on a rerun)."""
    values = {tag: (element.findtext(EN + tag) or "").strip() for tag in (
        "referanseArkivenhet", "referanseMetadata", "endretDato", "endretAv", "tidligereVerdi", "nyVerdi")}
    endring = Endringslogg.model_construct(
        id=uuid5(_ORIGIN, f"endring:{number}:" + "|".join(values.values())),
        referanse_arkivenhet=_uuid(values["referanseArkivenhet"], "referanseArkivenhet"),
        arkivenhet_type="", referanse_metadata=values["referanseMetadata"][:100],
        endret_dato=_datetime(values["endretDato"] or None, "endretDato").astimezone(UTC),
        endret_av=(values["endretAv"] or IMPORTED_BY)[:255],
        tidligere_verdi=None if values["tidligereVerdi"] in ("", EMPTY_VALUE) else values["tidligereVerdi"],
        ny_verdi=None if values["nyVerdi"] in ("", EMPTY_VALUE) else values["nyVerdi"])
    check_lengths([endring])
    return endring
