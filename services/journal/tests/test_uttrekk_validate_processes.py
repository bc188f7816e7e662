"""The validator in two processes: the findings across files as one pass gave them, and a failed process is an error."""

from __future__ import annotations

import io
import json
import shutil
import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID
from arkiv5_journal.domain.numbering import today_in_oslo
from arkiv5_journal.uttrekk import addml, cli, validate
from arkiv5_journal.uttrekk.validate import validate_extraction

from .conftest import Journal
from .test_uttrekk import _archive, _export, _schemas_or_skip, _tamper


def _order(folder: Path) -> list[tuple[str, str, str | None]]:
    """Every finding's test, severity and file, in the report's order."""
    return [(f["test"], f["severity"], f["file"]) for f in validate_extraction(folder).as_json()["findings"]]


def _errors(folder: Path) -> list[tuple[str, str | None, str | None]]:
    return [(f["test"], f["file"], f["system_id"]) for f in validate_extraction(folder).as_json()["findings"]
            if f["severity"] == "error"]


@pytest.fixture
async def good(journal: Journal, tmp_path: Path) -> Path:
    _schemas_or_skip()
    await _archive(journal)
    return await _export(journal, tmp_path / "uttrekk")


def _copy(good: Path, name: str) -> Path:
    target = good.parent / name
    shutil.copytree(good, target)
    return target


async def test_findings_across_files_come_in_the_order_of_one_pass(good: Path) -> None:
    """arkivuttrekk.xml's, arkivstruktur.xml's, dokumenter/'s, the journals', then endringslogg.xml's —
    though the first process checks arkivstruktur.xml while the second checks the rest."""
    files = [file for _, _, file in _order(good)]
    first = {name: files.index(name) for name in ("arkivstruktur.xml", "dokumenter", "loependeJournal.xml",
                                                  "offentligJournal.xml", "endringslogg.xml")}
    assert list(first.values()) == sorted(first.values()), first
    assert validate_extraction(good).as_json()["counts"]["endringslogg.xml:endring"] > 0


async def test_a_journal_that_breaks_its_schema_is_an_xsd_error(good: Path) -> None:
    broken = _copy(good, "broken")
    _tamper(broken, "loependeJournal.xml", "</journalregistrering>", "<ukjent/></journalregistrering>")
    assert _errors(broken) == [("ADDML_CHECKSUM", "loependeJournal.xml", None), ("XSD", "loependeJournal.xml", None)]
    # The other files are still checked in full: the public journal's and the change log's counts are there.
    counts = validate_extraction(broken).as_json()["counts"]
    assert "offentligJournal.xml:journalregistrering" in counts and "endringslogg.xml:endring" in counts
    assert "loependeJournal.xml:journalregistrering" not in counts


async def test_a_change_referring_to_no_systemid_is_found_across_the_processes(good: Path) -> None:
    dangling = _copy(good, "dangling")
    text = (dangling / "endringslogg.xml").read_text()
    reference = text.split("<referanseArkivenhet>", 1)[1][:36]
    unknown = "00000000-0000-4000-8000-0000000000ff"
    _tamper(dangling, "endringslogg.xml", f"<referanseArkivenhet>{reference}<",
            f"<referanseArkivenhet>{unknown}<")
    assert _errors(dangling) == [("ADDML_CHECKSUM", "endringslogg.xml", None), ("N5_62", "endringslogg.xml", unknown)]
    # Where one pass put it: after the journals, before the change log's own count.
    order = [(test, file) for test, _, file in _order(dangling)]
    at = order.index(("N5_62", "endringslogg.xml"))
    assert order[at - 1][1] in ("loependeJournal.xml", "offentligJournal.xml")
    assert order[at + 1] == ("N5_61", "endringslogg.xml")


async def test_counts_against_arkivuttrekk_are_checked_for_each_process_s_files(good: Path) -> None:
    miscounted = _copy(good, "miscounted")
    text = (miscounted / "arkivuttrekk.xml").read_text()
    for element in ("registrering", "journalregistrering"):
        at = text.index(f"<value>{element}</value>")
        value = text.index('dataType="integer"><value>', at) + len('dataType="integer"><value>')
        text = text[:value] + "9" + text[value:]
    (miscounted / "arkivuttrekk.xml").write_text(text)
    assert _errors(miscounted) == [("N5_16", "arkivstruktur.xml", None), ("N5_59", "loependeJournal.xml", None)]


async def test_a_period_the_head_of_arkivuttrekk_gives_otherwise_is_checked_again(
        good: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """arkivstruktur.xml streams against the period read from arkivuttrekk.xml's head; should the whole
    file say otherwise, it is checked again against the whole file's period, so the report is the same."""
    outside = _copy(good, "outside")
    text = (outside / "arkivstruktur.xml").read_text()
    day = text.split("<journaldato>", 1)[1][:10]
    _tamper(outside, "arkivstruktur.xml", f"<journaldato>{day}", "<journaldato>1999-01-01")
    expected = validate_extraction(outside).as_json()
    assert [f["test"] for f in expected["findings"] if f["severity"] == "error"] == ["ADDML_CHECKSUM", "N5_60"]
    monkeypatch.setattr(addml, "period", lambda *_: (None, None))  # no period: N5_60 could not be found
    assert validate_extraction(outside).as_json() == expected


def _failing(code: str) -> Any:
    return lambda folder, work: [sys.executable, "-c", code]


@pytest.mark.parametrize(("code", "how"), [
    ("import sys; sys.exit(3)", "exited with code 3"),
    ("import os, signal; os.kill(os.getpid(), signal.SIGKILL)", "was killed by signal 9"),
    ("pass", "left no readable result"),
])
async def test_a_failed_second_process_is_an_error_never_a_pass(good: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 code: str, how: str) -> None:
    monkeypatch.setattr(validate, "rest_command", _failing(code))
    report = validate_extraction(good).as_json()
    assert not report["valid"]
    [finding] = [f for f in report["findings"] if f["severity"] == "error"]
    assert finding["test"] == "VALIDATOR"
    assert how in finding["message"] and "not validated" in finding["message"]


async def test_the_command_exits_invalid_when_the_second_process_fails(good: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "rest_command", _failing("import sys; sys.exit(1)"))
    args = cli.parser().parse_args(["validate-extraction", str(good)])
    out = io.StringIO()
    assert await cli.run(args, None, out) == cli.EXIT_INVALID  # type: ignore[arg-type]
    assert '"VALIDATOR"' in out.getvalue()


def _export_args(out: Path) -> Any:
    year = today_in_oslo().year
    return cli.parser().parse_args(["export", "--arkivdel", str(DEFAULT_ARKIVDEL_ID), "--from", f"{year}-01-01",
                                    "--to", f"{year}-12-31", "--out", str(out)])


async def test_the_export_checks_arkivstruktur_while_writing_the_rest_and_reports_as_a_later_check_does(
        journal: Journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _schemas_or_skip()
    await _archive(journal)
    started: list[Path] = []
    start = validate.StructureCheck.start

    def spy(self: validate.StructureCheck, folder: Path, first: date, last: date) -> None:
        # When the check starts, arkivstruktur.xml and the schemas are there, arkivuttrekk.xml is not yet.
        assert (folder / "arkivstruktur.xml").is_file() and (folder / "arkivstruktur.xsd").is_file()
        assert not (folder / "arkivuttrekk.xml").exists()
        started.append(folder)
        start(self, folder, first, last)

    monkeypatch.setattr(validate.StructureCheck, "start", spy)
    out = tmp_path / "uttrekk"
    printed = io.StringIO()
    settings = journal.app.state.journal_context.settings
    assert await cli.run(_export_args(out), settings, printed) == cli.EXIT_VALID
    assert started == [out]
    during = json.loads(printed.getvalue())
    after = validate_extraction(out).as_json()
    assert during == after


async def test_an_early_check_in_another_period_than_arkivuttrekk_s_is_done_again(good: Path) -> None:
    outside = _copy(good, "outside")
    text = (outside / "arkivstruktur.xml").read_text()
    day = text.split("<journaldato>", 1)[1][:10]
    _tamper(outside, "arkivstruktur.xml", f"<journaldato>{day}", "<journaldato>1999-01-01")
    expected = validate_extraction(outside).as_json()
    early = validate.StructureCheck()
    try:
        early.start(outside, date(1999, 1, 1), date(1999, 12, 31))  # the journaldato would be inside this one
        assert validate_extraction(outside, early).as_json() == expected
    finally:
        early.close()
    assert early.work is None


async def test_a_failed_early_check_is_an_error_and_the_export_exits_invalid(
        journal: Journal, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _schemas_or_skip()
    await _archive(journal)
    monkeypatch.setattr(validate, "structure_command", lambda *_: [sys.executable, "-c", "import sys; sys.exit(2)"])
    printed = io.StringIO()
    settings = journal.app.state.journal_context.settings
    assert await cli.run(_export_args(tmp_path / "uttrekk"), settings, printed) == cli.EXIT_INVALID
    [finding] = [f for f in json.loads(printed.getvalue())["findings"] if f["severity"] == "error"]
    assert finding["test"] == "VALIDATOR" and "arkivstruktur.xml" in finding["message"]
    assert "exited with code 2" in finding["message"]


async def test_document_files_are_resolved_as_realpath_does(good: Path, tmp_path: Path) -> None:
    """Each folder is resolved once and a file's own name only when it is a link: a link out of the
    extraction is still a missing file, a name through `..` still the file it leads to."""
    [document] = (good / "dokumenter").iterdir()
    linked = _copy(good, "linked")
    outside = tmp_path / "outside.pdf"
    shutil.copy(document, outside)
    (linked / "dokumenter" / document.name).unlink()
    (linked / "dokumenter" / document.name).symlink_to(outside)
    assert _errors(linked) == [("N5_32", f"dokumenter/{document.name}", _errors(linked)[0][2])]

    around = _copy(good, "around")
    _tamper(around, "arkivstruktur.xml", f"<referanseDokumentfil>dokumenter/{document.name}",
            f"<referanseDokumentfil>dokumenter/../dokumenter/{document.name}")
    # Found, with the right checksum (no N5_32, no N5_30); the file is listed under its plain name only.
    assert [test for test, _, _ in _errors(around)] == ["ADDML_CHECKSUM", "N5_33"]
