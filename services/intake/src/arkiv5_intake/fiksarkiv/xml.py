"""Safe XML parsing and XSD validation of Fiks Arkiv messages and answers (lxml, one module).

Parsing never loads a DTD, expands an entity or touches the network; a document that
declares a DOCTYPE is refused outright (that is where entity bombs and external entities
live, and no Fiks Arkiv message needs one). The XSDs are KS's own (fiks-arkiv-specification
Schema/V1), read from the reference folder through `arkiv5_kit.reference` and compiled once.
"""

from __future__ import annotations

from functools import cache

from lxml import etree

from arkiv5_kit.reference import reference_file

XSD_DIR = "fiks-arkiv/xsd-v1"
XSD_FILES = (
    "arkivstruktur.xsd", "arkivstrukturMinimum.xsd", "arkivstrukturNoekler.xsd", "feilmeldingBase.xsd",
    "kodelister.xsd", "metadatakatalog.xsd",
    "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.oppdater.xsd",
    "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.kvittering.xsd",
    "no.ks.fiks.arkiv.v1.arkivering.arkivmelding.opprett.xsd",
    "no.ks.fiks.arkiv.v1.arkivering.avskrivning.opprett.xsd",
    "no.ks.fiks.arkiv.v1.arkivering.avskrivning.slett.xsd",
    "no.ks.fiks.arkiv.v1.arkivering.dokumentobjekt.opprett.kvittering.xsd",
    "no.ks.fiks.arkiv.v1.arkivering.dokumentobjekt.opprett.xsd",
    "no.ks.fiks.arkiv.v1.feilmelding.ikkefunnet.xsd",
    "no.ks.fiks.arkiv.v1.feilmelding.serverfeil.xsd",
    "no.ks.fiks.arkiv.v1.feilmelding.ugyldigforespoersel.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.dokumentfil.hent.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.kodeliste.hent.resultat.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.kodeliste.hent.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.mappe.hent.resultat.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.mappe.hent.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.registrering.hent.resultat.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.registrering.hent.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.sok.resultat.minimum.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.sok.resultat.noekler.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.sok.resultat.utvidet.xsd",
    "no.ks.fiks.arkiv.v1.innsyn.sok.xsd",
)

XSI = "http://www.w3.org/2001/XMLSchema-instance"
_BASE = "https://ks-no.github.io/standarder/fiks-protokoll/fiks-arkiv"
MDK = f"{_BASE}/metadatakatalog/v1"


def ns(path: str) -> str:
    """The namespace of a Fiks Arkiv schema, e.g. ns("arkivmelding/opprett")."""
    return f"{_BASE}/{path}/v1"


class InvalidXml(ValueError):
    """The bytes are not a well-formed, safe XML document, or it breaks its XSD (the text says where)."""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, dtd_validation=False,
                           huge_tree=False, remove_comments=True, collect_ids=False)


def parse(data: bytes) -> etree._Element:
    """The root element of `data`, parsed safely (any encoding the XML declaration or BOM names)."""
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidXml(f"not well-formed XML: {exc.msg}") from None
    tree = root.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise InvalidXml("a DOCTYPE is not allowed in a Fiks Arkiv message")
    return root


@cache
def schema(meldingstype: str) -> etree.XMLSchema:
    """The compiled XSD of a message type (its imports resolved beside it in the reference folder)."""
    filename = f"{meldingstype}.xsd"
    if filename not in XSD_FILES:
        raise KeyError(meldingstype)
    for name in XSD_FILES:  # every import must be present and verified, not only the entry point
        reference_file(f"{XSD_DIR}/{name}")
    path = reference_file(f"{XSD_DIR}/{filename}")
    document = etree.parse(str(path), parser=_parser())
    return etree.XMLSchema(document)


def has_schema(meldingstype: str) -> bool:
    return f"{meldingstype}.xsd" in XSD_FILES


def validate(root: etree._Element, meldingstype: str) -> None:
    """Raises InvalidXml naming the first few problems when `root` breaks the type's XSD."""
    compiled = schema(meldingstype)
    if compiled.validate(root):
        return
    problems = [f"line {error.line}: {error.message}" for error in list(compiled.error_log)[:5]]
    raise InvalidXml("; ".join(problems))


def text(element: etree._Element | None, path: str) -> str | None:
    """Text of the first element at `path` (local names, '/'-separated) below `element`, stripped."""
    found = find(element, path)
    if found is None or found.text is None:
        return None
    value = found.text.strip()
    return value or None


def find(element: etree._Element | None, path: str) -> etree._Element | None:
    if element is None:
        return None
    current: etree._Element | None = element
    for step in path.split("/"):
        if current is None:
            return None
        current = next((child for child in current if isinstance(child.tag, str)
                        and etree.QName(child).localname == step), None)
    return current


def findall(element: etree._Element | None, name: str) -> list[etree._Element]:
    if element is None:
        return []
    return [child for child in element if isinstance(child.tag, str) and etree.QName(child).localname == name]


def xsi_type(element: etree._Element) -> str | None:
    """The local part of xsi:type (e.g. "journalpost" for xsi:type="journalpost" or "ns:journalpost")."""
    value = element.get(f"{{{XSI}}}type")
    return value.split(":")[-1] if value else None


def to_string(root: etree._Element) -> str:
    return etree.tostring(root, encoding="unicode")
