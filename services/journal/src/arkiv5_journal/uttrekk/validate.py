"""`validate-extraction DIR`: a Noark 5 v5.0 extraction checked as an archive institution checks it.

Every XML file is parsed streamed (lxml iterparse, external entities and entity expansion
off, no network, no huge trees; a file that declares a DTD is refused unread) and validated
against the schema shipped in the extraction, whose bytes must be the official ones. The
rules keep Arkade 5's test ids (N5_xx) so an archive institution recognises them. SystemIDs
and referenced files are kept in a temporary SQLite file, so memory stays flat however
large the extraction. Findings name files, systemIDs and counts — never a title or a name.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lxml import etree

from arkiv5_kit.reference import manifest

from . import addml
from .checkindex import CheckIndex
from .report import Report
from .xml import ARKIVSTRUKTUR, ENDRINGSLOGG, OSLO, SCHEMA_DIR, SCHEMAS, XML_FILES, XSI

PARSER_OPTIONS: dict[str, Any] = {"resolve_entities": False, "no_network": True, "huge_tree": False,
                                  "load_dtd": False}
OPTIONAL = {"offentligJournal.xml": "N5_59", "endringslogg.xml": "N5_61"}
"""Files whose schema demands at least one entry: a period without any is exported without the file."""
OPTIONAL_WHY = {"offentligJournal.xml": "no public journal entry in the period",
                "endringslogg.xml": "no change in the period"}
FINAL_JOURNALSTATUS = {"Arkivert", "Utgår"}
FINAL_DOKUMENTSTATUS = {"Dokumentet er ferdigstilt"}
CLOSED = {"Avsluttet", "Utgår"}
AS = "{" + ARKIVSTRUKTUR + "}"
ENTITIES = ("arkiv", "arkivdel", "klassifikasjonssystem", "klasse", "mappe", "registrering", "dokumentbeskrivelse",
            "dokumentobjekt")
"""The arkivstruktur elements that carry a systemID."""
COUNTED = ("skjerming", "kassasjon", "utfoertKassasjon", "korrespondansepart", "part")


def _redact(message: str) -> str:
    """A parser message without the values it quotes (they may be screened); element names stay."""
    message = re.sub(r"': '[^']*' is not", "': '…' is not", message)
    return re.sub(r"[Vv]alue '[^']*'", "value '…'", message)


def _schema(folder: Path, name: str) -> Any:
    parser = etree.XMLParser(**PARSER_OPTIONS)
    return etree.XMLSchema(etree.parse(str(folder / name), parser))


def _declares_dtd(path: Path) -> bool:
    """Whether the file has a DOCTYPE (internal subset, entities): read up to its root's start only."""
    for _, element in etree.iterparse(str(path), events=("start",), **PARSER_OPTIONS):
        docinfo = element.getroottree().docinfo
        return bool(docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype)
    return False


def _parse(report: Report, folder: Path, name: str, schema: Any, on_end: Any = None,
           tags: tuple[str, ...] | None = None) -> bool:
    """Stream one XML file through its schema; `on_end(element)` sees each of `tags` as it ends."""
    path = folder / name
    if not path.is_file():
        report.add("XML", f"{name} is missing", file=name)
        return False
    try:
        if _declares_dtd(path):
            report.add("XML", f"{name} declares a DTD (entities); refused unread", file=name)
            return False
        for _, element in etree.iterparse(str(path), events=("end",), tag=tags, schema=schema, **PARSER_OPTIONS):
            if on_end is not None:
                on_end(element)
    except etree.XMLSyntaxError as error:
        report.add("XSD", f"{name} is not valid against its schema: {_redact(str(error))}", file=name)
        return False
    return True


def _check_schemas(report: Report, folder: Path) -> bool:
    ok = True
    official = manifest()
    for name in SCHEMAS:
        path = folder / name
        if not path.is_file():
            report.add("XSD_CHECKSUM", f"the schema {name} is missing", file=name)
            ok = False
        elif addml.sha256_of(path) != official[SCHEMA_DIR + name].sha256:
            report.add("XSD_CHECKSUM", f"{name} is not the official Noark 5 v5.0 schema (SHA-256 differs)", file=name)
            ok = False
    return ok


def validate_extraction(folder: Path) -> Report:
    report = Report(extraction=str(folder))
    if not folder.is_dir():
        report.add("XML", "the extraction is not a folder")
        return report
    if not _check_schemas(report, folder):
        return report
    with tempfile.TemporaryDirectory(prefix="uttrekk-validate-") as work:
        index = CheckIndex(Path(work))
        about = _addml(report, folder, index)
        if about is None:
            return report
        _arkivstruktur(report, folder, index, about)
        _files(report, folder, index, about)
        _journals(report, folder, index, about)
        index.db.close()
    return report


def _addml(report: Report, folder: Path, index: CheckIndex) -> addml.Description | None:
    path = folder / "arkivuttrekk.xml"
    if not path.is_file():
        report.add("XML", "arkivuttrekk.xml is missing", file="arkivuttrekk.xml")
        return None
    try:
        if _declares_dtd(path):
            report.add("XML", "arkivuttrekk.xml declares a DTD (entities); refused unread", file="arkivuttrekk.xml")
            return None
        about = addml.read(path, PARSER_OPTIONS, schema=_schema(folder, "addml.xsd"), on_document=index.add_sum)
    except etree.XMLSyntaxError as error:
        report.add("XSD", f"arkivuttrekk.xml is not valid against its schema: {_redact(str(error))}",
                   file="arkivuttrekk.xml")
        return None
    for name in XML_FILES:
        if name == "arkivuttrekk.xml":
            continue
        if name in OPTIONAL and name not in about.files and (folder / name).is_file():
            report.add("ADDML_CHECKSUM", f"{name} is in the folder but not listed in arkivuttrekk.xml", file=name)
            continue
        expected = about.files.get(name, ("", {}))[0]
        if (folder / name).is_file() and addml.sha256_of(folder / name) != expected:
            report.add("ADDML_CHECKSUM", f"{name}: SHA-256 differs from arkivuttrekk.xml", file=name)
    return about


def _count(report: Report, test: str, name: str, element: str, found: int, about: addml.Description) -> None:
    report.counts[f"{name}:{element}"] = found
    expected = about.files.get(name, ("", {}))[1].get(element)
    if expected is not None and expected != found:
        report.add(test, f"{name} has {found} {element}, arkivuttrekk.xml says {expected}", file=name)
    else:
        report.add(test, f"{name}: {found} {element}", file=name, info=True)


def _arkivstruktur(report: Report, folder: Path, index: CheckIndex, about: addml.Description) -> None:
    counts: Counter[str] = Counter()
    state: dict[str, int] = {"in_mappe": 0}
    statuses: dict[str, Counter[str]] = {"N5_22": Counter(), "N5_25": Counter()}
    created = _Created()
    root = os.path.realpath(folder)  # once: a realpath per document file was a third of the per-file cost
    start, end = about.start, about.end
    if start is None or end is None:
        report.add("N5_60", "arkivuttrekk.xml gives no archive period (archivalPeriod startDate/endDate)",
                   file="arkivuttrekk.xml")

    def on_end(element: Any) -> None:
        tag = element.tag.removeprefix(AS)
        if tag in PERIOD:  # the arkivdel's own period, read before its registreringer
            created.period[tag] = _day(element.text)
            return
        counts[tag] += 1
        system_id = element.findtext(AS + "systemID") if tag in ENTITIES else None
        if system_id and not index.add_id(system_id):
            report.add("N5_47", f"systemID of a {tag} occurs more than once", file="arkivstruktur.xml",
                       system_id=system_id)
        if tag == "dokumentobjekt":
            _document(report, root, index, element, counts)
        elif tag == "dokumentbeskrivelse":
            statuses["N5_25"][element.findtext(AS + "dokumentstatus") or ""] += 1
            if element.find(AS + "dokumentobjekt") is None:
                counts["N5_24"] += 1
        elif tag == "registrering":
            state["in_mappe"] += 1
            created.check(report, element.findtext(AS + "opprettetDato"), system_id, start, end)
            if element.get(f"{{{XSI}}}type") == "journalpost":
                counts["journalpost"] += 1
                if not (element.findtext(AS + "journalposttype") or "").strip():
                    report.add("N5_17", "journalpost with an empty journalposttype", file="arkivstruktur.xml",
                               system_id=system_id)
                statuses["N5_22"][element.findtext(AS + "journalstatus") or ""] += 1
                if element.find(AS + "korrespondansepart") is None:
                    report.add("N5_39", "journalpost without korrespondansepart", file="arkivstruktur.xml",
                               system_id=system_id)
                day = element.findtext(AS + "journaldato")
                if day and start and end and not start <= date.fromisoformat(day[:10]) <= end:
                    report.add("N5_60", "journaldato outside the archive period", file="arkivstruktur.xml",
                               system_id=system_id)
            if element.find(AS + "dokumentbeskrivelse") is None:
                counts["N5_21"] += 1
            element.clear(keep_tail=True)
        elif tag == "mappe":
            if element.findtext(AS + "saksstatus") not in CLOSED:
                report.add("N5_15", "saksmappe is not closed (saksstatus not Avsluttet)", file="arkivstruktur.xml",
                           system_id=system_id)
            if state["in_mappe"] == 0:
                counts["N5_14"] += 1
            state["in_mappe"] = 0
            element.clear(keep_tail=True)
            while (previous := element.getprevious()) is not None and previous.tag == AS + "mappe":
                element.getparent().remove(previous)

    if not _parse(report, folder, "arkivstruktur.xml", _schema(folder, "arkivstruktur.xsd"), on_end,
                  tuple(AS + t for t in (*ENTITIES, *COUNTED, *PERIOD))):
        return
    created.summarise(report)
    for test, what, element, final in (("N5_22", "journalpost", "journalstatus", FINAL_JOURNALSTATUS),
                                       ("N5_25", "dokumentbeskrivelse", "dokumentstatus", FINAL_DOKUMENTSTATUS)):
        for status, number in sorted(statuses[test].items()):
            if status in final:
                report.add(test, f"{number} {what} with {element} {status}", file="arkivstruktur.xml", info=True)
            else:
                report.add(test, f"{number} {what} with {element} {status or '(empty)'}, not final "
                           f"({' or '.join(sorted(final))})", file="arkivstruktur.xml")
    _count(report, "N5_10", "arkivstruktur.xml", "mappe", counts["mappe"], about)
    _count(report, "N5_16", "arkivstruktur.xml", "registrering", counts["registrering"], about)
    _count(report, "N5_23", "arkivstruktur.xml", "dokumentbeskrivelse", counts["dokumentbeskrivelse"], about)
    _count(report, "N5_26", "arkivstruktur.xml", "dokumentobjekt", counts["dokumentobjekt"], about)
    for test, what in (("N5_14", "mapper without registrering"), ("N5_21", "registreringer without dokumentbeskrivelse"),
                       ("N5_24", "dokumentbeskrivelser without dokumentobjekt"), ("N5_64", "empty document files")):
        report.add(test, f"{counts[test]} {what}", count=counts[test])
    report.counts.update({k: v for k, v in counts.items() if not k.startswith("N5_")})
    for test, flag, number, what in (
            ("N5_42", addml.FLAG_SCREENED, counts["skjerming"], "skjerming"),
            ("N5_44", addml.FLAG_TO_DISPOSE, counts["kassasjon"], "kassasjon"),
            ("N5_45", addml.FLAG_DISPOSED, counts["utfoertKassasjon"], "utfoertKassasjon")):
        if about.flags.get(flag, False) != (number > 0):
            report.add(test, f"{number} {what} in arkivstruktur.xml, but arkivuttrekk.xml says "
                       f"{flag}={str(about.flags.get(flag, False)).lower()}", file="arkivuttrekk.xml")
        else:
            report.add(test, f"{number} {what}; {flag} agrees", file="arkivuttrekk.xml", info=True)


PERIOD = ("arkivperiodeStartDato", "arkivperiodeSluttDato")


def _day(text: str | None) -> date | None:
    """The calendar day of an xs:date or xs:dateTime, in Oslo when it carries an offset; None if unreadable."""
    value = (text or "").strip()
    try:
        if len(value) > 10 and value[10] == "T":
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            return moment.astimezone(OSLO).date() if moment.tzinfo else moment.date()
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


class _Created:
    """N5_27: the first and last registrering's opprettetDato, each one inside the arkivdel's period."""

    def __init__(self) -> None:
        self.period: dict[str, date | None] = {}
        self.first: date | None = None
        self.last: date | None = None

    def check(self, report: Report, text: str | None, system_id: str | None, start: date | None,
              end: date | None) -> None:
        day = _day(text)
        if day is None:
            return
        self.first = day if self.first is None else min(self.first, day)
        self.last = day if self.last is None else max(self.last, day)
        low = self.period.get("arkivperiodeStartDato") or start
        high = self.period.get("arkivperiodeSluttDato") or end
        if (low and day < low) or (high and day > high):
            report.add("N5_27", f"registrering created {day.isoformat()}, outside the arkivdel's period "
                       f"{low.isoformat() if low else '…'} – {high.isoformat() if high else '…'}",
                       file="arkivstruktur.xml", system_id=system_id)

    def summarise(self, report: Report) -> None:
        if self.first is not None and self.last is not None:
            report.add("N5_27", f"first registrering created {self.first.isoformat()}, "
                       f"last {self.last.isoformat()}", file="arkivstruktur.xml", info=True)


def _document(report: Report, root: str, index: CheckIndex, element: Any, counts: Counter[str]) -> None:
    """A dokumentobjekt's file: inside the folder `root` (resolved), a regular file, its SHA-256 as stated."""
    system_id = element.findtext(AS + "systemID")
    reference = element.findtext(AS + "referanseDokumentfil") or ""
    path = os.path.realpath(os.path.join(root, reference))
    size = _regular_file_size(path) if reference and path.startswith(root + os.sep) else None
    if size is None:
        index.add_file(reference)
        report.add("N5_32", "referenced document file does not exist", file=reference, system_id=system_id)
        return
    if size == 0:
        counts["N5_64"] += 1
    sha256 = addml.sha256_of(Path(path))
    index.add_file(reference, sha256)
    if sha256 != (element.findtext(AS + "sjekksum") or "").lower():
        report.add("N5_30", "document file's SHA-256 differs from its dokumentobjekt's sjekksum", file=reference,
                   system_id=system_id)


def _regular_file_size(path: str) -> int | None:
    """The size of a regular file (one stat call), None when there is none."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_size if stat.S_ISREG(found.st_mode) else None


def _forget(element: Any) -> None:
    """Drop an element that has been checked, and the siblings before it, from the tree being built."""
    element.clear(keep_tail=True)
    while element.getprevious() is not None:
        del element.getparent()[0]


def _document_names(folder: Path) -> Iterator[str]:
    """The files under dokumenter/, as names relative to `folder`, sorted folder by folder.

    Plain names, not a sorted list of Path objects: at 100,000 files those were 70 MB, most of
    the validator's peak memory.
    """
    for top, folders, files in os.walk(folder / "dokumenter"):
        folders.sort()
        base = Path(top).relative_to(folder).as_posix()
        files.sort()
        for file in files:
            if os.path.isfile(os.path.join(top, file)):
                yield f"{base}/{file}"


def _files(report: Report, folder: Path, index: CheckIndex, about: addml.Description) -> None:
    found = 0
    for name in _document_names(folder):
        found += 1
        referenced, sha256 = index.file(name)
        if not referenced:
            report.add("N5_33", "document file no dokumentobjekt references", file=name)
        elif (expected := index.sum_of(name)) is not None and (sha256 or addml.sha256_of(folder / name)) != expected:
            report.add("ADDML_CHECKSUM", "document file's SHA-256 differs from arkivuttrekk.xml", file=name)
    if found != about.document_files:
        report.add("N5_28", f"{found} document files in dokumenter/, arkivuttrekk.xml says {about.document_files} "
                   "(antallDokumentfiler)", file="arkivuttrekk.xml")
    else:
        report.add("N5_28", f"{found} document files, as arkivuttrekk.xml says", file="dokumenter", info=True)


def _omitted(report: Report, folder: Path, name: str, about: addml.Description) -> bool:
    """An optional file that the export left out, as arkivuttrekk.xml says: noted, not parsed."""
    if name in OPTIONAL and name not in about.files and not (folder / name).is_file():
        report.add(OPTIONAL[name], f"{name} is left out: {OPTIONAL_WHY[name]}", file=name, info=True)
        return True
    return False


def _journals(report: Report, folder: Path, index: CheckIndex, about: addml.Description) -> None:
    for name in ("loependeJournal.xml", "offentligJournal.xml"):
        if _omitted(report, folder, name, about):
            continue
        entries = Counter[str]()
        root = name.removesuffix(".xml")
        ns = "{" + XML_FILES[name][0] + "}"

        def on_end(element: Any, ns: str = ns, entries: Counter[str] = entries) -> None:
            if element.tag == ns + "journalregistrering":
                entries["journalregistrering"] += 1
                _forget(element)
            elif element.tag == ns + "antallJournalposter":
                entries["header"] = int(element.text or 0)

        if _parse(report, folder, name, _schema(folder, f"{root}.xsd"), on_end,
                  (ns + "journalregistrering", ns + "antallJournalposter")):
            _count(report, "N5_59", name, "journalregistrering", entries["journalregistrering"], about)
            if entries["header"] != entries["journalregistrering"]:
                report.add("N5_59", f"{name}: antallJournalposter is {entries['header']}, "
                           f"the file holds {entries['journalregistrering']}", file=name)
    changes = Counter[str]()
    en = "{" + ENDRINGSLOGG + "}"

    def on_change(element: Any) -> None:
        if element.tag == en + "endring":
            changes["endring"] += 1
            reference = element.findtext(en + "referanseArkivenhet")
            if reference and not index.has_id(reference):
                report.add("N5_62", "endringslogg refers to a systemID not in arkivstruktur.xml",
                           file="endringslogg.xml", system_id=reference)
            _forget(element)

    if _omitted(report, folder, "endringslogg.xml", about):
        return
    if _parse(report, folder, "endringslogg.xml", _schema(folder, "endringslogg.xsd"), on_change, (en + "endring",)):
        _count(report, "N5_61", "endringslogg.xml", "endring", changes["endring"], about)
