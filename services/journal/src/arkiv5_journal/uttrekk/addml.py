"""arkivuttrekk.xml (ADDML 8.3): what the extraction holds, its counts, flags and the SHA-256 of every file."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from .xml import ADDML, SCHEMAS, Builder

A = Builder(ADDML)
CHUNK = 1 << 20
FLAG_SCREENED = "inneholderSkjermetInformasjon"
FLAG_DISPOSED = "omfatterDokumenterSomErKassert"
FLAG_TO_DISPOSE = "inneholderDokumenterSomSkalKasseres"
FLAG_LOCAL_METADATA = "inneholderVirksomhetsspesifikkeMetadata"
DOCUMENTS = "dokumenter"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass
class Description:
    """What arkivuttrekk.xml says; the validator reads it back into the same shape."""

    arkivskaper: str = ""
    archive: str = ""
    start: date | None = None
    end: date | None = None
    flags: dict[str, bool] = field(default_factory=dict)
    document_files: int = 0
    # file name → (sha256, {element name: count})
    files: dict[str, tuple[str, dict[str, int]]] = field(default_factory=dict)
    schemas: dict[str, str] = field(default_factory=dict)
    on_document: Callable[[str, str], None] | None = None


def _property(parent: Any, name: str, value: object = None, data_type: str | None = None) -> Any:
    attrib = {"name": name, **({"dataType": data_type} if data_type else {})}
    prop = A.sub(parent, "property", attrib=attrib)
    if value is not None:
        A.sub(prop, "value", value)
    return A.sub(prop, "properties")


def _file(parent: Any, name: str, sha256: str) -> None:
    file = _property(parent, "file")
    _property(file, "name", name)
    format_ = _property(file, "format", "XML" if name.endswith((".xml", ".xsd")) else None)
    if not len(format_):
        format_.getparent().remove(format_)
    checksum = _property(file, "checksum")
    _property(checksum, "algorithm", "SHA-256")
    _property(checksum, "value", sha256)


def _clean(element: Any) -> None:
    """Drop the empty <properties/> the helpers leave on leaf properties (the schema wants content)."""
    for props in list(element.iter(A.ns + "properties")):
        if not len(props):
            props.getparent().remove(props)


def write(out: Path, about: Description, *, schemas: Path, documents: Iterable[tuple[str, str]]) -> None:
    """Write arkivuttrekk.xml from the finished XML files in `out` and the documents' (path, sha256)."""
    with etree.xmlfile(str(out / "arkivuttrekk.xml"), encoding="utf-8") as xf:
        xf.write_declaration()
        with xf.element(A.ns + "addml", {"name": "Noark 5-arkivuttrekk"}, nsmap=A.nsmap):
            with xf.element(A.ns + "dataset"):
                head = A.element("description")
                head.text = "Noark 5-arkivuttrekk"
                xf.write(head)
                reference = A.element("reference")
                context = A.sub(A.sub(reference, "context"), "additionalElements")
                creators = A.sub(A.sub(context, "additionalElement", attrib={"name": "recordCreators"}),
                                 "additionalElements")
                A.sub(A.sub(creators, "additionalElement", attrib={"name": "recordCreator"}), "value", about.arkivskaper)
                for name, value in (("systemType", "Sakarkiv (Noark-5)"), ("systemName", "Arkiv5"),
                                    ("archive", about.archive)):
                    A.sub(A.sub(context, "additionalElement", attrib={"name": name}), "value", value)
                content = A.sub(A.sub(reference, "content"), "additionalElements")
                period = A.sub(A.sub(content, "additionalElement", attrib={"name": "archivalPeriod"}), "properties")
                _property(period, "startDate", about.start)
                _property(period, "endDate", about.end)
                _clean(reference)
                xf.write(reference)
                with xf.element(A.ns + "dataObjects"), xf.element(A.ns + "dataObject", {"name": "Noark 5-arkivuttrekk"}):
                    xf.write(_info(about))
                    with xf.element(A.ns + "dataObjects"):
                        for name, (_, counts) in about.files.items():
                            xf.write(_file_object(out, name, counts, schemas))
                        if not about.document_files:  # an empty <properties/> is not valid ADDML
                            return
                        with xf.element(A.ns + "dataObject", {"name": DOCUMENTS}), xf.element(A.ns + "properties"):
                            for path, sha256 in documents:
                                holder = A.element("properties")
                                _file(holder, path, sha256)
                                _clean(holder)
                                xf.write(holder[0])


def _info(about: Description) -> Any:
    properties = A.element("properties")
    info = _property(properties, "info")
    kind = _property(info, "type", "Noark 5")
    _property(kind, "version", "5.0")
    extra = _property(info, "additionalInfo")
    periode = _property(extra, "periode")
    _property(periode, "inngaaendeSkille", "skarp")
    _property(periode, "utgaaendeSkille", "skarp")
    for flag in (FLAG_SCREENED, FLAG_DISPOSED, FLAG_TO_DISPOSE, FLAG_LOCAL_METADATA):
        _property(extra, flag, "true" if about.flags.get(flag) else "false", "boolean")
    _property(extra, "antallDokumentfiler", about.document_files, "integer")
    _clean(properties)
    return properties


def _file_object(out: Path, name: str, counts: dict[str, int], schemas: Path) -> Any:
    data = A.element("dataObject", {"name": name.removesuffix(".xml")})
    properties = A.sub(data, "properties")
    _file(properties, name, sha256_of(out / name))
    main = name.removesuffix(".xml") + ".xsd"
    for schema in (main, "metadatakatalog.xsd"):
        prop = _property(properties, "schema", "main" if schema == main else None)
        _file(prop, schema, sha256_of(schemas / schema))
        kind = _property(prop, "type", "XML Schema")
        _property(kind, "version", "1.0")
    info = _property(properties, "info")
    for element, number in counts.items():
        occurrences = _property(info, "numberOfOccurrences", element)
        _property(occurrences, "elementPath", f"//{element}")
        _property(occurrences, "value", number, "integer")
    _clean(data)
    return data


def read(path: Path, parser_options: dict[str, Any], *, schema: Any = None,
         on_document: Callable[[str, str], None] | None = None) -> Description:
    """arkivuttrekk.xml read back, streamed and validated against `schema` as it is read.

    It lists every document file: those go to `on_document(path, sha256)` instead of
    `Description.files`, so a large extraction is never held in memory.
    """
    about = Description()
    about.on_document = on_document
    ns = A.ns
    stack: list[tuple[str, str | None]] = []
    for event, element in etree.iterparse(str(path), events=("start", "end"), schema=schema, **parser_options):
        if element.tag != ns + "property":
            continue
        if event == "start":
            stack.append((element.get("name", ""), None))
            continue
        name = element.get("name", "")
        value = element.findtext(ns + "value")
        stack.pop()
        trail = [n for n, _ in stack]
        _take(about, name, value, trail, element)
        if not stack:
            element.clear(keep_tail=True)
            while element.getprevious() is not None:
                del element.getparent()[0]
    return about


def period(path: Path, parser_options: dict[str, Any]) -> tuple[date | None, date | None]:
    """The archivalPeriod's startDate and endDate from the head of arkivuttrekk.xml, read up to its
    dataObjects only (not the list of every document file); (None, None) when it cannot be read.

    Unvalidated: `read` validates the whole file, and the validator compares the two periods.
    """
    about = Description()
    try:
        if declares_dtd(path, parser_options):
            return None, None
        for event, element in etree.iterparse(str(path), events=("start", "end"), **parser_options):
            if event == "start":
                if element.tag == A.ns + "dataObjects":
                    break
            elif element.tag == A.ns + "property" and element.get("name") in ("startDate", "endDate"):
                _take(about, element.get("name", ""), element.findtext(A.ns + "value"), [], element)
    except (OSError, etree.XMLSyntaxError):
        return None, None
    return about.start, about.end


def declares_dtd(path: Path, parser_options: dict[str, Any]) -> bool:
    """Whether the file has a DOCTYPE (internal subset, entities): read up to its root's start only."""
    for _, element in etree.iterparse(str(path), events=("start",), **parser_options):
        docinfo = element.getroottree().docinfo
        return bool(docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype)
    return False


def _props(element: Any) -> dict[str, str | None]:
    ns = A.ns
    return {p.get("name"): p.findtext(ns + "value") for p in element.iterfind(f"{ns}properties/{ns}property")}


def _take(about: Description, name: str, value: str | None, trail: list[str], element: Any) -> None:
    if name in ("startDate", "endDate"):  # of the archivalPeriod
        try:
            day = date.fromisoformat((value or "").strip()[:10])
        except ValueError:
            return
        if name == "startDate":
            about.start = day
        else:
            about.end = day
    elif name in (FLAG_SCREENED, FLAG_DISPOSED, FLAG_TO_DISPOSE, FLAG_LOCAL_METADATA):
        about.flags[name] = (value or "").strip().lower() == "true"
    elif name == "antallDokumentfiler":
        about.document_files = int(value or 0)
    elif name == "file" and "schema" not in trail:
        props = _props(element)
        checksum = element.find(f"{A.ns}properties/{A.ns}property[@name='checksum']")
        digest = _props(checksum).get("value") if checksum is not None else None
        file_name = props.get("name")
        if file_name and file_name.startswith(DOCUMENTS + "/") and about.on_document is not None:
            about.on_document(file_name, (digest or "").lower())
        elif file_name:
            about.files.setdefault(file_name, ((digest or "").lower(), {}))
            about.files[file_name] = ((digest or "").lower(), about.files[file_name][1])
    elif name == "file" and "schema" in trail:
        props = _props(element)
        checksum = element.find(f"{A.ns}properties/{A.ns}property[@name='checksum']")
        if props.get("name") and checksum is not None:
            about.schemas[props["name"] or ""] = (_props(checksum).get("value") or "").lower()
    elif name == "numberOfOccurrences" and value:
        holder = element.getparent().getparent().getparent().getparent()  # info → properties → dataObject
        owner = holder.get("name", "") + ".xml"
        number = _props(element).get("value")
        sha, counts = about.files.get(owner, ("", {}))
        counts[value] = int(number or 0)
        about.files[owner] = (sha, counts)


__all__ = ["SCHEMAS", "Description", "declares_dtd", "period", "read", "sha256_of", "write"]
