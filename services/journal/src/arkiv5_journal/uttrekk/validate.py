"""`validate-extraction DIR`: a Noark 5 v5.0 extraction checked as an archive institution checks it.

Every XML file is parsed streamed (lxml iterparse, external entities and entity expansion
off, no network, no huge trees; a file that declares a DTD is refused unread) and validated
against the schema shipped in the extraction, whose bytes must be the official ones. The
rules keep Arkade 5's test ids (N5_xx) so an archive institution recognises them. SystemIDs
and referenced files are kept in temporary SQLite files, so memory stays flat however
large the extraction. Findings name files, systemIDs and counts — never a title or a name.

Two processes share the work, one core each: this one streams arkivstruktur.xml (its schema,
the rules on its elements, the document files it references), while a second
(`validate_worker.py`) reads arkivuttrekk.xml, the XML files' checksums, the journals,
endringslogg.xml and `dokumenter/`. Each keeps its own index; the rules across files (a
change's reference to a systemID, the files in `dokumenter/` against what arkivstruktur.xml
references and arkivuttrekk.xml lists) are answered at the end by SQL over both. The
findings and their order are those of one pass over the files in turn.
"""

from __future__ import annotations

import os
import pickle
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

from arkiv5_kit.reference import manifest

from . import addml
from .checkindex import CheckIndex
from .created import PERIOD, Created, day_of
from .documentfiles import check_document, check_files
from .report import Report
from .xml import ARKIVSTRUKTUR, SCHEMA_DIR, SCHEMAS, XSI

if TYPE_CHECKING:
    from .validate_worker import Outcome

PARSER_OPTIONS: dict[str, Any] = {"resolve_entities": False, "no_network": True, "huge_tree": False,
                                  "load_dtd": False}
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
    return addml.declares_dtd(path, PARSER_OPTIONS)


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


WORKER_MODULE = "arkiv5_journal.uttrekk.validate_worker"
STRUCTURE_INDEX, STRUCTURE_RESULT = "arkivstruktur.sqlite", "arkivstruktur.pickle"
REST_INDEX, REST_RESULT = "rest.sqlite", "rest.pickle"
STRUCTURE_WHAT = "arkivstruktur.xml and its document files"
REST_WHAT = "arkivuttrekk.xml, the journals, endringslogg.xml and dokumenter/"


def worker_command(*args: str) -> list[str]:
    """A worker process: a fresh interpreter (not a fork of a threaded server) that imports only the validator."""
    return [sys.executable, "-m", WORKER_MODULE, *args]


def rest_command(folder: Path, work: Path) -> list[str]:
    return worker_command("rest", str(folder), str(work))


def structure_command(folder: Path, work: Path, start: date, end: date) -> list[str]:
    return worker_command("arkivstruktur", str(folder), str(work), start.isoformat(), end.isoformat())


class _Worker:
    """A worker process, started at once and waited for when its result (a pickle it writes) is needed."""

    def __init__(self, command: list[str], result: Path) -> None:
        self.result_path = result
        # stdout is the export's report (or its tar); the worker's own errors go to stderr, the log.
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)

    def result(self) -> tuple[Any, str]:
        """Its result, or None and why there is none: a worker that fails is never a silent pass."""
        code = self.process.wait()
        if code != 0:
            return None, f"was killed by signal {-code}" if code < 0 else f"exited with code {code}"
        try:
            with self.result_path.open("rb") as handle:
                return pickle.load(handle), ""  # noqa: S301 — written by our own worker into our own folder
        except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError) as error:
            return None, f"left no readable result ({type(error).__name__})"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class StructureCheck:
    """arkivstruktur.xml checked in a worker process of its own while the export is still writing.

    The export closes arkivstruktur.xml, the journals and the document files, and copies the
    schemas in, before it writes the change log and arkivuttrekk.xml; `start` then sets the
    largest part of the validation going on the other core. The period is the export's own
    (arkivuttrekk.xml is not written yet): `validate_extraction` compares it with the one
    arkivuttrekk.xml gives, and checks arkivstruktur.xml again should they differ. Nothing of it
    counts before `validate_extraction` has confirmed the schemas official.
    """

    def __init__(self) -> None:
        self.work: Path | None = None
        self.worker: _Worker | None = None
        self.period: tuple[date, date] | None = None

    def start(self, folder: Path, start: date, end: date) -> None:
        self.work = Path(tempfile.mkdtemp(prefix="uttrekk-validate-"))
        self.period = (start, end)
        self.worker = _Worker(structure_command(folder, self.work, start, end), self.work / STRUCTURE_RESULT)

    def close(self) -> None:
        if self.worker is not None:
            self.worker.stop()
        if self.work is not None:
            shutil.rmtree(self.work, ignore_errors=True)
        self.worker = self.work = None


def validate_extraction(folder: Path, early: StructureCheck | None = None) -> Report:
    """The extraction's report; `early`, if started, is the check of its arkivstruktur.xml already under way."""
    report = Report(extraction=str(folder))
    if not folder.is_dir():
        report.add("XML", "the extraction is not a folder")
        return report
    if not _check_schemas(report, folder):
        return report
    with tempfile.TemporaryDirectory(prefix="uttrekk-validate-") as own:
        work = early.work if early is not None and early.work is not None else Path(own)
        rest = _Worker(rest_command(folder, work), work / REST_RESULT)
        try:
            structure, failure = _structure(folder, work, early)
            outcome, rest_failure = rest.result() if structure is not None else (None, "")
        finally:
            rest.stop()
        if structure is None:
            report.add("VALIDATOR", f"the extraction is not validated: the check of {STRUCTURE_WHAT} {failure}")
        elif outcome is None:
            report.add("VALIDATOR", f"the extraction is not validated: the check of {REST_WHAT} {rest_failure}")
        else:
            _combine(report, folder, structure, outcome, work)
    return report


def _structure(folder: Path, work: Path, early: StructureCheck | None) -> tuple[_Structure | None, str]:
    """arkivstruktur.xml's check: the early one's result, or done here while the rest worker does the rest."""
    if early is not None and early.worker is not None:
        result, failure = early.worker.result()
        return result, failure
    index = CheckIndex(work / STRUCTURE_INDEX)
    # The archive period decides N5_27 and N5_60 while arkivstruktur.xml streams, before the
    # rest worker has read arkivuttrekk.xml in full: read from its head here.
    structure = _arkivstruktur(folder, index, *addml.period(folder / "arkivuttrekk.xml", PARSER_OPTIONS))
    index.close()
    return structure, ""


def _combine(report: Report, folder: Path, structure: _Structure, outcome: Outcome, work: Path) -> None:
    """Both processes' findings in the order of one pass: arkivuttrekk.xml, arkivstruktur.xml, dokumenter/,
    the journals, endringslogg.xml."""
    report.findings.extend(outcome.addml.findings)
    about = outcome.about
    if about is None:
        return
    name = STRUCTURE_INDEX
    if (about.start, about.end) != (structure.start, structure.end):
        # arkivstruktur.xml was checked in another period than the whole of arkivuttrekk.xml gives
        # (its head said otherwise, or the export's own differs): checked again, in this one.
        name = "arkivstruktur-again.sqlite"
        again = CheckIndex(work / name)
        structure = _arkivstruktur(folder, again, about.start, about.end)
        again.close()
    _summarise(report, structure, about)
    index = CheckIndex(work / name, existing=True)
    try:
        index.attach(work / REST_INDEX)
        check_files(report, folder, index, about)
        report.findings.extend(outcome.journals.findings)
        report.counts.update(outcome.journals.counts)
        for reference in index.dangling_references():
            report.add("N5_62", "endringslogg refers to a systemID not in arkivstruktur.xml", file="endringslogg.xml",
                       system_id=reference)
        report.findings.extend(outcome.changes.findings)
        report.counts.update(outcome.changes.counts)
    finally:
        index.db.close()


def _count(report: Report, test: str, name: str, element: str, found: int, about: addml.Description) -> None:
    report.counts[f"{name}:{element}"] = found
    expected = about.files.get(name, ("", {}))[1].get(element)
    if expected is not None and expected != found:
        report.add(test, f"{name} has {found} {element}, arkivuttrekk.xml says {expected}", file=name)
    else:
        report.add(test, f"{name}: {found} {element}", file=name, info=True)


@dataclass
class _Structure:
    """What the pass over arkivstruktur.xml found: its findings in order, and what the summary counts."""

    start: date | None
    end: date | None
    report: Report = field(default_factory=lambda: Report(extraction=""))
    ok: bool = False
    counts: Counter[str] = field(default_factory=Counter)
    statuses: dict[str, Counter[str]] = field(default_factory=lambda: {"N5_22": Counter(), "N5_25": Counter()})
    created: Created = field(default_factory=lambda: Created())


def _arkivstruktur(folder: Path, index: CheckIndex, start: date | None, end: date | None) -> _Structure:
    """Stream arkivstruktur.xml through its schema and the rules on its elements, in the archive period given."""
    structure = _Structure(start, end)
    report, counts, statuses, created = structure.report, structure.counts, structure.statuses, structure.created
    state: dict[str, int] = {"in_mappe": 0}
    root = os.path.realpath(folder)  # once: a realpath per document file was a third of the per-file cost
    folders: dict[str, str] = {}

    def on_end(element: Any) -> None:
        tag = element.tag.removeprefix(AS)
        if tag in PERIOD:  # the arkivdel's own period, read before its registreringer
            created.period[tag] = day_of(element.text)
            return
        counts[tag] += 1
        system_id = element.findtext(AS + "systemID") if tag in ENTITIES else None
        if system_id and not index.add_id(system_id):
            report.add("N5_47", f"systemID of a {tag} occurs more than once", file="arkivstruktur.xml",
                       system_id=system_id)
        if tag == "dokumentobjekt":
            check_document(report, root, index, element, counts, folders)
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

    structure.ok = _parse(report, folder, "arkivstruktur.xml", _schema(folder, "arkivstruktur.xsd"), on_end,
                          tuple(AS + t for t in (*ENTITIES, *COUNTED, *PERIOD)))
    return structure


def _summarise(report: Report, structure: _Structure, about: addml.Description) -> None:
    """arkivstruktur.xml's findings, then (if it could be read to its end) its counts against arkivuttrekk.xml."""
    if about.start is None or about.end is None:
        report.add("N5_60", "arkivuttrekk.xml gives no archive period (archivalPeriod startDate/endDate)",
                   file="arkivuttrekk.xml")
    report.findings.extend(structure.report.findings)
    if not structure.ok:
        return
    counts, statuses = structure.counts, structure.statuses
    structure.created.summarise(report)
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
