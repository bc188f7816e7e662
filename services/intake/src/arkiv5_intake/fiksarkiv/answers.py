"""The answers of Fiks Arkiv: message types, feilmeldinger and kvitteringer as XML.

Every payload built here is what KS's XSDs ask for (the tests validate each against its
schema); the element order follows the schema's sequences.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import uuid4

from lxml import etree

from .xml import MDK, XSI, ns, to_string

P = "no.ks.fiks.arkiv.v1."
OPPRETT = P + "arkivering.arkivmelding.opprett"
OPPDATER = P + "arkivering.arkivmelding.oppdater"
AVSKRIVNING_OPPRETT = P + "arkivering.avskrivning.opprett"
AVSKRIVNING_SLETT = P + "arkivering.avskrivning.slett"
DOKUMENTOBJEKT_OPPRETT = P + "arkivering.dokumentobjekt.opprett"
SOK = P + "innsyn.sok"
MAPPE_HENT = P + "innsyn.mappe.hent"
REGISTRERING_HENT = P + "innsyn.registrering.hent"
DOKUMENTFIL_HENT = P + "innsyn.dokumentfil.hent"

UGYLDIG = P + "feilmelding.ugyldigforespoersel"
IKKEFUNNET = P + "feilmelding.ikkefunnet"
SERVERFEIL = P + "feilmelding.serverfeil"

ARKIVERING = (OPPRETT, OPPDATER, AVSKRIVNING_OPPRETT, AVSKRIVNING_SLETT, DOKUMENTOBJEKT_OPPRETT)
INNSYN = (SOK, MAPPE_HENT, REGISTRERING_HENT)
SUPPORTED = ARKIVERING + INNSYN


@dataclass(frozen=True)
class Svar:
    """One answer as it is sent: its message type and its payload (None for `…mottatt` and the like)."""

    meldingstype: str
    xml: str | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"meldingstype": self.meldingstype, "xml": self.xml}


def mottatt(meldingstype: str) -> Svar:
    return Svar(f"{meldingstype}.mottatt")


def kvittering(meldingstype: str, xml: str | None = None) -> Svar:
    return Svar(f"{meldingstype}.kvittering", xml)


def feilmelding(kind: str, melding: str) -> Svar:
    """`kind` is UGYLDIG, IKKEFUNNET or SERVERFEIL; the text says what is wrong, never input values."""
    local = kind.rsplit(".", 1)[1]
    namespace = ns(f"feil/{local}")
    base = ns("feil/feilmelding")
    root = etree.Element(f"{{{namespace}}}{local}", nsmap={None: namespace, "feil": base})
    # feilmeldingBase's elements are declared (qualified) in the base schema's namespace.
    etree.SubElement(root, f"{{{base}}}feilId").text = str(uuid4())
    etree.SubElement(root, f"{{{base}}}feilmelding").text = melding[:2000]
    return Svar(kind, to_string(root))


class Builder:
    """Appends elements in one namespace, skipping None values (minOccurs=0 elements left out)."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace

    def root(self, name: str, **extra_ns: str) -> etree._Element:
        nsmap: dict[str | None, str] = {None: self.namespace, "xsi": XSI, "mdk": MDK}
        nsmap.update(extra_ns)
        return etree.Element(self.q(name), nsmap=nsmap)

    def q(self, name: str) -> str:
        return f"{{{self.namespace}}}{name}"

    def add(self, parent: etree._Element, name: str, value: Any = None, *, xsi_type: str | None = None,
            namespace: str | None = None) -> etree._Element:
        element = etree.SubElement(parent, f"{{{namespace or self.namespace}}}{name}")
        if value is not None:
            element.text = str(value)
        if xsi_type:
            element.set(f"{{{XSI}}}type", xsi_type)
        return element

    def opt(self, parent: etree._Element, name: str, value: Any) -> None:
        if value is not None and value != "":
            self.add(parent, name, value)

    def kode(self, parent: etree._Element, name: str, value: Any) -> None:
        """A Noark code element (`<name><kode>X</kode></name>`, the code in the metadata catalogue)."""
        if value is None:
            return
        code = value.get("kode") if isinstance(value, dict) else value
        if code is None:
            return
        element = self.add(parent, name)
        etree.SubElement(element, f"{{{MDK}}}kode").text = str(code)

    def ekstern_noekkel(self, parent: etree._Element, name: str, fagsystem: str | None, noekkel: str | None) -> None:
        if fagsystem is None or noekkel is None:
            return
        element = self.add(parent, name)
        etree.SubElement(element, f"{{{MDK}}}fagsystem").text = fagsystem
        etree.SubElement(element, f"{{{MDK}}}noekkel").text = noekkel


def arkivmelding_kvittering(*, mappe: dict[str, Any] | None, registrering: dict[str, Any] | None) -> str:
    """The arkivmelding opprett kvittering: `mappe`/`registrering` hold the journal's record and the
    key (`fagsystem`, `noekkel`) and `opprettet` (True: Opprettet, False: Eksisterende)."""
    b = Builder(ns("arkivmelding/opprett/kvittering"))
    root = b.root("arkivmeldingKvittering")
    if mappe is not None:
        record = mappe["record"]
        element = b.add(root, "mappeKvittering", xsi_type="saksmappeKvittering")
        b.add(element, "systemID", record["systemID"])
        b.opt(element, "mappeID", record.get("mappeID"))
        b.opt(element, "opprettetDato", record.get("opprettetDato"))
        b.ekstern_noekkel(element, "referanseEksternNoekkel", mappe.get("fagsystem"), mappe.get("noekkel"))
        b.add(element, "opprettetEllerEksisterende", "Opprettet" if mappe["opprettet"] else "Eksisterende")
        b.opt(element, "saksaar", record.get("saksaar"))
        b.opt(element, "sakssekvensnummer", record.get("sakssekvensnummer"))
        b.opt(element, "saksdato", record.get("saksdato"))
    if registrering is not None:
        record = registrering["record"]
        element = b.add(root, "registreringKvittering", xsi_type="journalpostKvittering")
        b.add(element, "systemID", record["systemID"])
        b.opt(element, "opprettetDato", record.get("opprettetDato"))
        for dokument in record.get("dokumentbeskrivelse") or []:
            d = b.add(element, "dokumentbeskrivelseKvittering")
            b.add(d, "systemID", dokument["systemID"])
            b.opt(d, "dokumentnummer", dokument.get("dokumentnummer"))
            for objekt in dokument.get("dokumentobjekt") or []:
                o = b.add(d, "dokumentobjekt")
                b.add(o, "systemID", objekt["systemID"])
                b.opt(o, "versjonsnummer", objekt.get("versjonsnummer"))
                b.kode(o, "variantformat", objekt.get("variantformat"))
        b.opt(element, "registreringsID", _registrerings_id(record))
        b.ekstern_noekkel(element, "referanseEksternNoekkel", registrering.get("fagsystem"), registrering.get("noekkel"))
        b.add(element, "opprettetEllerEksisterende", "Opprettet" if registrering["opprettet"] else "Eksisterende")
        b.opt(element, "journalaar", record.get("journalaar"))
        b.opt(element, "journalsekvensnummer", record.get("journalsekvensnummer"))
        b.opt(element, "journalpostnummer", record.get("journalpostnummer"))
        b.kode(element, "journalposttype", record.get("journalposttype"))
        b.kode(element, "journalstatus", record.get("journalstatus"))
        b.opt(element, "journaldato", record.get("journaldato"))
        b.opt(element, "forfallsdato", record.get("forfallsdato"))
    return to_string(root)


def dokumentobjekt_kvittering(dokumentobjekt: dict[str, Any]) -> str:
    b = Builder(ns("dokumentobjekt/opprett/kvittering"))
    root = b.root("dokumentobjektOpprettKvittering")
    b.add(root, "systemID", dokumentobjekt["systemID"])
    return to_string(root)


def _registrerings_id(record: dict[str, Any]) -> str | None:
    if record.get("journalaar") is None:
        return None
    return f"{record['journalaar']}/{record['journalsekvensnummer']}"
