"""The extraction's XML vocabulary: namespaces, the official schema files, values as the schemas want them."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from lxml import etree

from arkiv5_contracts.codelists import CodeList

OSLO = ZoneInfo("Europe/Oslo")
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NOARK = "http://www.arkivverket.no/standarder/noark5/"
ARKIVSTRUKTUR = NOARK + "arkivstruktur"
LOEPENDE = NOARK + "loependeJournal"
OFFENTLIG = NOARK + "offentligJournal"
ENDRINGSLOGG = NOARK + "endringslogg"
ADDML = "http://www.arkivverket.no/standarder/addml"

SCHEMA_DIR = "noark5/xsd-v5.0/"
# Each XML file of the extraction, its root's namespace and its main schema.
XML_FILES: dict[str, tuple[str, str]] = {
    "arkivstruktur.xml": (ARKIVSTRUKTUR, "arkivstruktur.xsd"),
    "endringslogg.xml": (ENDRINGSLOGG, "endringslogg.xsd"),
    "loependeJournal.xml": (LOEPENDE, "loependeJournal.xsd"),
    "offentligJournal.xml": (OFFENTLIG, "offentligJournal.xsd"),
    "arkivuttrekk.xml": (ADDML, "addml.xsd"),
}
SCHEMAS = ("arkivstruktur.xsd", "metadatakatalog.xsd", "endringslogg.xsd", "loependeJournal.xsd",
           "offentligJournal.xsd", "addml.xsd")
NOT_CLOSED_BY = "(ikke avsluttet)"
"""avsluttetAv of an open case or arkivdel: the v5.0 schema demands avsluttetDato on mappe and arkivdel."""
NO_SCREENED_METADATA = "Ingen metadata skjermet"
"""skjermingMetadata when a skjerming screens no metadata field (the schema wants at least one)."""
EMPTY_VALUE = "NULL"
"""tidligereVerdi/nyVerdi of a change from or to nothing (both are required, non-empty)."""


def xml_date(value: date) -> str:
    return value.isoformat()


def xml_datetime(value: datetime) -> str:
    """An xs:dateTime with its timezone (a naive value from SQLite is UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.isoformat()


def date_as_datetime(value: date) -> str:
    """A date-only field for an xs:dateTime element: the start of that day in Oslo."""
    return datetime.combine(value, time(0), OSLO).isoformat()


def name_of(codes: type[CodeList], code: str) -> str:
    """The code's name (kodenavn), as the extraction holds it; an unknown code as it is."""
    try:
        return codes.of(code).kodenavn
    except ValueError:
        return code


TEXT_ESCAPES = {"\r": "&#13;"}
"""Beyond &, < and >: a carriage return, which a parser would read back as a line feed."""
FRAGMENT_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class Markup:
    """One subtree as escaped text, parsed by lxml in one call (`Builder.parse`).

    The export writes about a hundred leaves per journalpost; lxml parses a subtree at about
    half the CPU it takes to build the same subtree element by element from Python.
    """

    __slots__ = ("parts",)

    def __init__(self) -> None:
        self.parts: list[str] = []

    def open(self, tag: str) -> None:
        self.parts.append(f"<{tag}>")

    def close(self, tag: str) -> None:
        self.parts.append(f"</{tag}>")

    def text(self, tag: str, value: object) -> None:
        """A leaf written even when empty."""
        self.parts.append(f"<{tag}>{escape(str(value), TEXT_ESCAPES)}</{tag}>" if value is not None else f"<{tag}/>")

    def leaf(self, tag: str, value: object) -> None:
        if value is not None and value != "":
            self.parts.append(f"<{tag}>{escape(str(value), TEXT_ESCAPES)}</{tag}>")

    def leaves(self, pairs: list[tuple[str, object]]) -> None:
        # Inlined (no call per leaf): the hot loop of the export.
        append = self.parts.append
        for tag, value in pairs:
            if value is not None and value != "":
                append(f"<{tag}>{escape(str(value), TEXT_ESCAPES)}</{tag}>")


class Builder:
    """Builds one element's subtree in a namespace; None values are left out."""

    def __init__(self, namespace: str) -> None:
        self.namespace = namespace
        self.ns = "{" + namespace + "}"
        # Declared again on each written subtree (lxml's incremental writer does not reuse the
        # root's declarations); a default namespace keeps that to one short attribute.
        self.nsmap = {None: namespace, "xsi": XSI}
        self.leaf_nsmap = {None: namespace}

    def parse(self, tag: str, markup: Markup, xsi_type: str | None = None) -> Any:
        """The element `tag` holding `markup`, declared as `element` declares it."""
        attributes = f' xsi:type="{xsi_type}"' if xsi_type else ""
        return etree.fromstring(f'<{tag} xmlns="{self.namespace}" xmlns:xsi="{XSI}"{attributes}>'
                                f'{"".join(markup.parts)}</{tag}>', FRAGMENT_PARSER)

    def element(self, tag: str, attrib: dict[str, str] | None = None) -> Any:
        return etree.Element(self.ns + tag, attrib or {}, nsmap=self.nsmap)

    def sub(self, parent: Any, tag: str, value: object = None, attrib: dict[str, str] | None = None) -> Any:
        # An attribute dict only when there is one: lxml walks even an empty one.
        child = etree.SubElement(parent, self.ns + tag, attrib) if attrib else etree.SubElement(parent, self.ns + tag)
        if value is not None:
            child.text = str(value)
        return child

    def leaf(self, parent: Any, tag: str, value: object) -> None:
        if value is not None and value != "":
            etree.SubElement(parent, self.ns + tag).text = str(value)

    def leaves(self, parent: Any, pairs: list[tuple[str, object]]) -> None:
        # Inlined (no call per leaf): the export writes about a hundred leaves per journalpost.
        ns, sub_element = self.ns, etree.SubElement
        for tag, value in pairs:
            if value is not None and value != "":
                sub_element(parent, ns + tag).text = str(value)

    def write_leaves(self, xf: Any, pairs: list[tuple[str, object]]) -> None:
        """Leaves straight into an incremental writer."""
        for tag, value in pairs:
            if value is not None and value != "":
                element = etree.Element(self.ns + tag, nsmap=self.leaf_nsmap)
                element.text = str(value)
                xf.write(element)
