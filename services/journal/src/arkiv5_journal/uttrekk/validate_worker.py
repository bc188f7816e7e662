"""The validator's worker processes: arkivstruktur.xml in one, everything beside it in the other.

`python -m arkiv5_journal.uttrekk.validate_worker rest FOLDER WORK` reads arkivuttrekk.xml
(its schema, the counts, flags and checksums it lists), compares each XML file's SHA-256
with it, streams loependeJournal.xml, offentligJournal.xml and endringslogg.xml through their
schemas and lists the files in `dokumenter/`, while arkivstruktur.xml is checked on the other
core — by the process that validates (`validate.py`), or, while an export is still writing,
by `… validate_worker arkivstruktur FOLDER WORK START END`. What needs both (a change's
reference to a systemID, the files found against the files referenced) is left in each
worker's index in WORK for `validate.py` to answer by SQL; findings and counts go to a pickle
in WORK. A worker prints nothing on stdout; an error ends it with a non-zero exit code, which
`validate.py` reports as a finding.
"""

from __future__ import annotations

import os
import pickle
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from lxml import etree

from . import addml
from .checkindex import CheckIndex
from .report import Report
from .validate import (
    PARSER_OPTIONS,
    REST_INDEX,
    REST_RESULT,
    STRUCTURE_INDEX,
    STRUCTURE_RESULT,
    _arkivstruktur,
    _count,
    _declares_dtd,
    _parse,
    _redact,
    _schema,
)
from .xml import ENDRINGSLOGG, XML_FILES

OPTIONAL = {"offentligJournal.xml": "N5_59", "endringslogg.xml": "N5_61"}
"""Files whose schema demands at least one entry: a period without any is exported without the file."""
OPTIONAL_WHY = {"offentligJournal.xml": "no public journal entry in the period",
                "endringslogg.xml": "no change in the period"}


@dataclass
class Outcome:
    """This process's findings, in the three places they go in the report, and what arkivuttrekk.xml says."""

    about: addml.Description | None
    addml: Report
    """arkivuttrekk.xml and the XML files' checksums: first in the report."""
    journals: Report
    """The two journals, after arkivstruktur.xml's and dokumenter/'s findings."""
    changes: Report
    """endringslogg.xml, after the N5_62 findings its references give."""


def check(folder: Path, index: CheckIndex) -> Outcome:
    outcome = Outcome(None, Report(extraction=""), Report(extraction=""), Report(extraction=""))
    outcome.about = _addml(outcome.addml, folder, index)
    if outcome.about is None:
        return outcome
    outcome.about.on_document = None  # a method of the index: neither needed nor picklable
    _journals(outcome.journals, folder, outcome.about)
    _changes(outcome.changes, folder, index, outcome.about)
    for name in _document_names(folder):
        index.add_found(name)
    return outcome


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


def _omitted(report: Report, folder: Path, name: str, about: addml.Description) -> bool:
    """An optional file that the export left out, as arkivuttrekk.xml says: noted, not parsed."""
    if name in OPTIONAL and name not in about.files and not (folder / name).is_file():
        report.add(OPTIONAL[name], f"{name} is left out: {OPTIONAL_WHY[name]}", file=name, info=True)
        return True
    return False


def _journals(report: Report, folder: Path, about: addml.Description) -> None:
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


def _changes(report: Report, folder: Path, index: CheckIndex, about: addml.Description) -> None:
    """endringslogg.xml; each reference is kept, for N5_62 against arkivstruktur.xml's systemIDs at the end."""
    changes = Counter[str]()
    en = "{" + ENDRINGSLOGG + "}"

    def on_change(element: Any) -> None:
        if element.tag == en + "endring":
            changes["endring"] += 1
            reference = element.findtext(en + "referanseArkivenhet")
            if reference:
                index.add_reference(reference)
            _forget(element)

    if _omitted(report, folder, "endringslogg.xml", about):
        return
    if _parse(report, folder, "endringslogg.xml", _schema(folder, "endringslogg.xsd"), on_change, (en + "endring",)):
        _count(report, "N5_61", "endringslogg.xml", "endring", changes["endring"], about)


def main(argv: list[str]) -> int:
    which, folder, work = argv[0], Path(argv[1]), Path(argv[2])
    if which == "arkivstruktur":
        index = CheckIndex(work / STRUCTURE_INDEX)
        result: object = _arkivstruktur(folder, index, date.fromisoformat(argv[3]), date.fromisoformat(argv[4]))
        name = STRUCTURE_RESULT
    else:
        index = CheckIndex(work / REST_INDEX)
        result, name = check(folder, index), REST_RESULT
    index.close()
    partial = work / (name + ".partial")
    with partial.open("wb") as handle:
        pickle.dump(result, handle)
    partial.replace(work / name)  # complete or absent: never half a result
    return 0


if __name__ == "__main__":
    # Through the module's own name, so that the pickled Outcome is one the first process can load
    # (a class of `__main__` would be looked up in that process's main module).
    from arkiv5_journal.uttrekk.validate_worker import main as run

    sys.exit(run(sys.argv[1:]))
