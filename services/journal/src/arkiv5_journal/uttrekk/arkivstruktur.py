"""arkivstruktur.xml: arkiv → arkivdel → klassifikasjonssystem/klasse → saksmappe → journalpost, written as it streams.

The archive institution receives everything, screened content included, with each
skjerming said; the public never sees this file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID, uuid5

from arkiv5_contracts.codelists import (
    Arkivdelstatus,
    Arkivstatus,
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
    Klasse,
    Klassifikasjonssystem,
    Saksmappe,
)
from .rows import Details, Period, Record
from .xml import (
    ARKIVSTRUKTUR,
    NO_SCREENED_METADATA,
    NOT_CLOSED_BY,
    Builder,
    Markup,
    date_as_datetime,
    name_of,
    xml_date,
    xml_datetime,
)

B = Builder(ARKIVSTRUKTUR)
CLOSED = {"A", "U"}  # Avsluttet, Utgår


@dataclass
class DocumentFile:
    """A document file to copy into `dokumenter/`, named by its dokumentobjekt's systemID."""

    objekt: Record
    path: str


@dataclass
class Counts:
    mappe: int = 0
    registrering: int = 0
    dokumentbeskrivelse: int = 0
    dokumentobjekt: int = 0
    skjerming: int = 0
    files: list[DocumentFile] = field(default_factory=list)


def chosen_objekt(objekter: list[Record]) -> Record | None:
    """The archival variant (A) of the newest version when there is one, else the production file."""
    for wanted in ("A", "P"):
        found = [o for o in objekter if o.variantformat == wanted]
        if found:
            return max(found, key=lambda o: o.versjonsnummer)
    return None


def file_name(objekt: Record, extension: str) -> str:
    return f"dokumenter/{objekt.system_id}{extension}"


def head(xf: Any, arkiv: Arkiv, arkivdel: Arkivdel, period: Period, *, now: datetime, arkivskaper: tuple[str, str]
         ) -> None:
    """The arkiv's and arkivdel's own elements, written before the first case."""
    B.write_leaves(xf, [("systemID", arkiv.system_id), ("tittel", arkiv.tittel), ("beskrivelse", arkiv.beskrivelse),
                        ("arkivstatus", name_of(Arkivstatus, arkiv.arkivstatus)),
                        ("dokumentmedium", "Elektronisk arkiv"), ("opprettetDato", xml_datetime(arkiv.opprettet_dato)),
                        ("opprettetAv", arkiv.opprettet_av), ("avsluttetDato", xml_datetime(now)),
                        ("avsluttetAv", NOT_CLOSED_BY)])
    skaper = B.element("arkivskaper")
    B.leaves(skaper, [("arkivskaperID", arkivskaper[0]), ("arkivskaperNavn", arkivskaper[1])])
    xf.write(skaper)


def arkivdel_head(xf: Any, arkivdel: Arkivdel, period: Period, *, now: datetime) -> None:
    B.write_leaves(xf, [("systemID", arkivdel.system_id), ("tittel", arkivdel.tittel),
                        ("arkivdelstatus", name_of(Arkivdelstatus, arkivdel.arkivdelstatus)),
                        ("dokumentmedium", "Elektronisk arkiv"),
                        ("opprettetDato", xml_datetime(arkivdel.opprettet_dato)), ("opprettetAv", arkivdel.opprettet_av),
                        ("avsluttetDato", xml_datetime(now)), ("avsluttetAv", NOT_CLOSED_BY),
                        ("arkivperiodeStartDato", xml_date(period.fra)), ("arkivperiodeSluttDato", xml_date(period.til))])


def system_head(xf: Any, system: Klassifikasjonssystem) -> None:
    B.write_leaves(xf, [("systemID", system.system_id), ("klassifikasjonstype", system.klassifikasjonstype),
                        ("tittel", system.tittel), ("opprettetDato", xml_datetime(system.opprettet_dato)),
                        ("opprettetAv", system.opprettet_av)])


def klasse_head(xf: Any, klasse: Klasse) -> None:
    B.write_leaves(xf, [("systemID", klasse.system_id), ("klasseID", klasse.klasse_id), ("tittel", klasse.tittel),
                        ("opprettetDato", xml_datetime(klasse.opprettet_dato)), ("opprettetAv", klasse.opprettet_av)])


def _skjerming(m: Markup, row: Saksmappe | Record) -> bool:
    if not row.tilgangsrestriksjon:
        return False
    m.open("skjerming")
    m.text("tilgangsrestriksjon", name_of(Tilgangsrestriksjon, row.tilgangsrestriksjon))
    m.text("skjermingshjemmel", row.skjermingshjemmel or name_of(Tilgangsrestriksjon, row.tilgangsrestriksjon))
    for code in row.skjerming_metadata or [NO_SCREENED_METADATA]:
        m.text("skjermingMetadata", name_of(SkjermingMetadata, code) if code != NO_SCREENED_METADATA else code)
    m.leaf("skjermingOpphoererDato", xml_date(row.skjerming_opphoerer_dato) if row.skjerming_opphoerer_dato else None)
    m.close("skjerming")
    return True


def _merknader(m: Markup, merknader: list[Record]) -> None:
    for merknad in merknader:
        m.open("merknad")
        m.leaves([("merknadstekst", merknad.merknadstekst), ("merknadstype", merknad.merknadstype),
                  ("merknadsdato", xml_datetime(merknad.merknadsdato)),
                  ("merknadRegistrertAv", merknad.merknad_registrert_av)])
        m.close("merknad")


def mappe_head(xf: Any, saksmappe: Saksmappe, details: Details, counts: Counts) -> None:
    """The saksmappe's elements before its registreringer (the mappe part of the type)."""
    closed = saksmappe.saksstatus in CLOSED and saksmappe.avsluttet_dato is not None
    B.write_leaves(xf, [
        ("systemID", saksmappe.system_id), ("mappeID", saksmappe.mappe_id), ("tittel", saksmappe.tittel),
        ("offentligTittel", saksmappe.offentlig_tittel), ("dokumentmedium", "Elektronisk arkiv"),
        ("opprettetDato", xml_datetime(saksmappe.opprettet_dato)), ("opprettetAv", saksmappe.opprettet_av),
        # v5.0 demands avsluttetDato on every mappe: an open case carries its creation time and says it is open.
        ("avsluttetDato", date_as_datetime(saksmappe.avsluttet_dato) if closed and saksmappe.avsluttet_dato
         else xml_datetime(saksmappe.opprettet_dato)),
        ("avsluttetAv", (saksmappe.avsluttet_av or "journal") if closed else NOT_CLOSED_BY)])
    m = Markup()
    for p in details.sakspart.get(saksmappe.system_id, []):
        m.open("part")
        m.leaves([("partNavn", p.part_navn), ("partRolle", name_of(PartRolle, p.part_rolle))])
        m.close("part")
    _merknader(m, [r for r in details.merknader.get(saksmappe.system_id, []) if r.journalpost_id is None])
    if _skjerming(m, saksmappe):
        counts.skjerming += 1
    if m.parts:
        for child in B.parse("holder", m):
            xf.write(child)


def mappe_tail(xf: Any, saksmappe: Saksmappe) -> None:
    """The saksmappe's own elements, after its registreringer."""
    B.write_leaves(xf, [("saksaar", saksmappe.saksaar), ("sakssekvensnummer", saksmappe.sakssekvensnummer),
                        ("saksdato", xml_date(saksmappe.saksdato)),
                        ("administrativEnhet", saksmappe.administrativ_enhet_id),
                        ("saksansvarlig", saksmappe.saksansvarlig_id or saksmappe.administrativ_enhet_id),
                        ("saksstatus", name_of(Saksstatus, saksmappe.saksstatus))])


def _dokumentbeskrivelse(m: Markup, b: Record, objekt: Record | None, counts: Counts, extension_of: Any) -> None:
    m.open("dokumentbeskrivelse")
    m.leaves([
        ("systemID", b.system_id), ("dokumenttype", name_of(Dokumenttype, b.dokumenttype) if b.dokumenttype else "Ukjent"),
        ("dokumentstatus", name_of(Dokumentstatus, b.dokumentstatus)), ("tittel", b.tittel),
        ("opprettetDato", xml_datetime(b.opprettet_dato)), ("opprettetAv", b.opprettet_av),
        ("dokumentmedium", "Elektronisk arkiv"),
        ("tilknyttetRegistreringSom", name_of(TilknyttetRegistreringSom, b.tilknyttet_registrering_som)),
        ("dokumentnummer", b.dokumentnummer), ("tilknyttetDato", date_as_datetime(b.tilknyttet_dato)),
        ("tilknyttetAv", b.tilknyttet_av)])
    counts.dokumentbeskrivelse += 1
    if objekt is not None:
        path = file_name(objekt, extension_of(objekt))
        m.open("dokumentobjekt")
        m.leaves([
            ("systemID", objekt.system_id), ("versjonsnummer", objekt.versjonsnummer),
            ("variantformat", name_of(Variantformat, objekt.variantformat)), ("format", objekt.format),
            ("formatDetaljer", objekt.format_detaljer), ("opprettetDato", xml_datetime(objekt.opprettet_dato)),
            ("opprettetAv", objekt.opprettet_av), ("referanseDokumentfil", path), ("sjekksum", objekt.sjekksum),
            ("sjekksumAlgoritme", "SHA-256"), ("filstoerrelse", objekt.filstoerrelse)])
        m.close("dokumentobjekt")
        counts.dokumentobjekt += 1
        counts.files.append(DocumentFile(objekt=objekt, path=path))
    m.close("dokumentbeskrivelse")


def registrering(journalpost: Record, details: Details, counts: Counts, extension_of: Any) -> Any:
    """One journalpost as a `registrering xsi:type="journalpost"` subtree."""
    m = Markup()
    m.leaves([("systemID", journalpost.system_id), ("opprettetDato", xml_datetime(journalpost.opprettet_dato)),
              ("opprettetAv", journalpost.opprettet_av), ("arkivertDato", xml_datetime(journalpost.opprettet_dato)),
              ("arkivertAv", journalpost.opprettet_av)])
    if _skjerming(m, journalpost):
        counts.skjerming += 1
    for b, objekter in details.documents.get(journalpost.system_id, []):
        _dokumentbeskrivelse(m, b, chosen_objekt(objekter), counts, extension_of)
    m.leaves([("registreringsID", f"{journalpost.journalaar}/{journalpost.journalsekvensnummer}"),
              ("tittel", journalpost.tittel), ("offentligTittel", journalpost.offentlig_tittel),
              ("dokumentmedium", "Elektronisk arkiv")])
    _merknader(m, details.merknader.get(journalpost.system_id, []))
    for p in details.parts.get(journalpost.system_id, []):
        m.open("korrespondansepart")
        m.leaves([("korrespondanseparttype", name_of(Korrespondanseparttype, p.korrespondanseparttype)),
                  ("korrespondansepartNavn", p.korrespondansepart_navn)])
        m.leaves([("postadresse", line) for line in p.postadresse])
        m.leaves([("postnummer", p.postnummer), ("poststed", p.poststed), ("land", p.land),
                  ("epostadresse", p.epostadresse), ("telefonnummer", p.telefonnummer),
                  ("kontaktperson", p.kontaktperson), ("administrativEnhet", p.administrativ_enhet_id),
                  ("saksbehandler", p.saksbehandler_id)])
        m.close("korrespondansepart")
    m.leaves([
        ("journalaar", journalpost.journalaar), ("journalsekvensnummer", journalpost.journalsekvensnummer),
        ("journalpostnummer", journalpost.journalpostnummer),
        ("journalposttype", name_of(Journalposttype, journalpost.journalposttype)),
        ("journalstatus", name_of(Journalstatus, journalpost.journalstatus)),
        ("journaldato", xml_date(journalpost.journaldato)),
        ("dokumentetsDato", xml_date(journalpost.dokumentets_dato) if journalpost.dokumentets_dato else None),
        ("mottattDato", date_as_datetime(journalpost.mottatt_dato) if journalpost.mottatt_dato else None),
        ("sendtDato", date_as_datetime(journalpost.sendt_dato) if journalpost.sendt_dato else None),
        ("forfallsdato", xml_date(journalpost.forfallsdato) if journalpost.forfallsdato else None),
        ("offentlighetsvurdertDato",
         xml_date(journalpost.offentlighetsvurdert_dato) if journalpost.offentlighetsvurdert_dato else None)])
    for a in details.avskrivninger.get(journalpost.system_id, []):
        m.open("avskrivning")
        m.leaves([("avskrivningsdato", xml_date(a.avskrivningsdato)), ("avskrevetAv", a.avskrevet_av),
                  ("avskrivningsmaate", name_of(Avskrivningsmaate, a.avskrivningsmaate)),
                  ("referanseAvskrivesAvJournalpost", a.referanse_avskrives_av_journalpost)])
        m.close("avskrivning")
    counts.registrering += 1
    return B.parse("registrering", m, xsi_type="journalpost")


UNCLASSIFIED_ID = "Uklassifisert"


def unclassified(system: Klassifikasjonssystem, now: datetime) -> Klasse:
    """The klasse of the cases without one, in an arkivdel that also has classified cases.

    In v5.0 an arkivdel holds either klassifikasjonssystem or mappe, never both, so those
    cases go into this klasse (its systemID derived from the system's, the same every time).
    """
    return Klasse(system_id=uuid5(system.system_id, UNCLASSIFIED_ID), klassifikasjonssystem_id=system.system_id,
                  klasse_id=UNCLASSIFIED_ID, tittel="Saker uten klasse", opprettet_dato=now, opprettet_av="journal")


def klasse_key(klasse: Klasse | None) -> UUID | None:
    return klasse.system_id if klasse is not None else None
