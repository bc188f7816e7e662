"""Arkivuttrekk: a small archive registered through the API, exported, validated; tampered copies refused precisely."""

from __future__ import annotations

import io
import json
import shutil
import sys
import tarfile
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import delete

from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID
from arkiv5_journal.domain.numbering import today_in_oslo
from arkiv5_journal.models import Endringslogg, Korrespondansepart
from arkiv5_journal.uttrekk import cli
from arkiv5_journal.uttrekk.export import ExportRequest, export_extraction
from arkiv5_journal.uttrekk.validate import PARSER_OPTIONS, validate_extraction
from arkiv5_kit.reference import ReferenceFileMissing, reference_file

from .conftest import UNIT, Journal, case, incoming

SECRET = "Hemmeligsen"
PDF = b"%PDF-1.7\n" + "Søknad – æøå\n".encode() * 50 + b"%%EOF\n"
ARCHIVAL = b"%PDF-1.7\n%archival\n%%EOF\n"
NS = "{http://www.arkivverket.no/standarder/noark5/arkivstruktur}"


def _schemas_or_skip() -> None:
    from required import missing

    try:
        reference_file("noark5/xsd-v5.0/arkivstruktur.xsd")
    except ReferenceFileMissing:
        missing("the Noark 5 v5.0 schemas (reference folder)", state="missing")


async def _archive(journal: Journal) -> dict[str, str]:
    """A case with an open journalpost carrying a document and its archival variant, and a screened one."""
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    url = f"/saksmapper/{saksmappe['systemID']}/journalposter"
    first = await journal.client.post(url, json=incoming(), headers=headers)
    assert first.status_code == 201, first.text
    jp = first.json()["systemID"]
    upload = await journal.client.post(f"/journalposter/{jp}/dokumenter", content=PDF, params={"tittel": "Søknad"},
                                       headers=headers)
    assert upload.status_code == 201, upload.text
    source = upload.json()["dokumentobjekt"][0]["systemID"]
    writer = {**journal.service("journal.documents.write-archival"), "X-Archival-Puid": "fmt/477",
              "Content-Type": "application/pdf"}
    archival = await journal.client.put(f"/internal/dokumentobjekter/{source}/arkivvariant", content=ARCHIVAL,
                                        headers=writer)
    assert archival.status_code == 201, archival.text
    skjerming = {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13", "skjermingMetadata": ["TRO"]}
    screened = await journal.client.post(url, headers=headers, json=incoming(
        tittel=f"Klage fra {SECRET}", skjermedeOrd=[SECRET], skjerming=skjerming))
    assert screened.status_code == 201, screened.text
    return {"journalpost": jp, "screened": screened.json()["systemID"], "archival": archival.json()["dokumentobjekt_id"]}


async def _export(journal: Journal, out: Path) -> Path:
    today = today_in_oslo()
    request = ExportRequest(arkivdel_id=DEFAULT_ARKIVDEL_ID, fra=date(today.year, 1, 1), til=date(today.year, 12, 31),
                            out=out)
    await export_extraction(journal.runtime.database.engine, journal.app.state.blob_store, request)
    return out


def _errors(folder: Path) -> list[dict[str, Any]]:
    return [f for f in validate_extraction(folder).as_json()["findings"] if f["severity"] == "error"]


async def test_an_exported_archive_validates_with_zero_errors(journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    ids = await _archive(journal)
    out = await _export(journal, tmp_path / "uttrekk")
    report = validate_extraction(out).as_json()
    assert report["valid"], [f for f in report["findings"] if f["severity"] == "error"]
    assert report["counts"]["journalpost"] == 2 and report["counts"]["arkivstruktur.xml:mappe"] == 1

    tree = etree.parse(str(out / "arkivstruktur.xml"), etree.XMLParser(**PARSER_OPTIONS))
    # The archival variant is the file deposited, named in referanseDokumentfil and with its checksum.
    [objekt] = tree.iter(NS + "dokumentobjekt")
    assert objekt.findtext(NS + "systemID") == ids["archival"]
    assert objekt.findtext(NS + "variantformat") == "Arkivformat"
    assert (out / objekt.findtext(NS + "referanseDokumentfil")).read_bytes() == ARCHIVAL
    assert {e.text for e in tree.iter(NS + "journalstatus")} == {"Journalført"}
    # The archive institution gets the full title and the skjerming; the public journal does not.
    assert SECRET in (out / "arkivstruktur.xml").read_text() and SECRET in (out / "loependeJournal.xml").read_text()
    public = (out / "offentligJournal.xml").read_text()
    assert SECRET not in public and "*****" in public
    assert "<value>true</value>" in _flag(out, "inneholderSkjermetInformasjon")
    # The schemas are the official bytes.
    for name in ("arkivstruktur.xsd", "metadatakatalog.xsd", "addml.xsd"):
        assert (out / name).read_bytes() == reference_file(f"noark5/xsd-v5.0/{name}").read_bytes()


def _flag(out: Path, name: str) -> str:
    text = (out / "arkivuttrekk.xml").read_text()
    start = text.index(f'name="{name}"')
    return text[start:start + 80]


@pytest.mark.parametrize("schema", ["arkivstruktur", "loependeJournal", "offentligJournal", "endringslogg"])
async def test_each_official_schema_accepts_our_file(journal: Journal, tmp_path: Path, schema: str) -> None:
    _schemas_or_skip()
    await _archive(journal)
    out = await _export(journal, tmp_path / "uttrekk")
    parser = etree.XMLParser(**PARSER_OPTIONS)
    xsd = etree.XMLSchema(etree.parse(str(reference_file(f"noark5/xsd-v5.0/{schema}.xsd")), parser))
    document = etree.parse(str(out / f"{schema}.xml"), parser)
    assert xsd.validate(document), xsd.error_log


async def test_tampered_extractions_give_the_precise_finding(journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal)
    good = await _export(journal, tmp_path / "uttrekk")

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(good, target)
        return target

    changed = copy("changed")
    [document] = (changed / "dokumenter").iterdir()
    document.write_bytes(b"%PDF-1.7\n%changed\n%%EOF\n")
    # Against its dokumentobjekt's sjekksum and against the checksum arkivuttrekk.xml lists.
    assert sorted((f["test"], f["file"]) for f in _errors(changed)) == [
        ("ADDML_CHECKSUM", f"dokumenter/{document.name}"), ("N5_30", f"dokumenter/{document.name}")]

    missing = copy("missing")
    [document] = (missing / "dokumenter").iterdir()
    document.unlink()
    assert {f["test"] for f in _errors(missing)} == {"N5_28", "N5_32"}

    extra = copy("extra")
    (extra / "dokumenter" / "ukjent.pdf").write_bytes(b"%PDF-1.7\n")
    assert [(f["test"], f["file"]) for f in _errors(extra)] == [("N5_33", "dokumenter/ukjent.pdf"),
                                                                ("N5_28", "arkivuttrekk.xml")]

    duplicate = copy("duplicate")
    text = (duplicate / "arkivstruktur.xml").read_text()
    tree = etree.fromstring(text.encode())
    ids = [e.text for e in tree.iter(NS + "systemID")]
    (duplicate / "arkivstruktur.xml").write_text(text.replace(ids[-1], ids[-2]))
    found = _errors(duplicate)
    assert "N5_47" in {f["test"] for f in found} and ids[-2] in {f["system_id"] for f in found}

    counted = copy("counted")
    addml_text = (counted / "arkivuttrekk.xml").read_text()
    marker = "<value>registrering</value>"
    at = addml_text.index(marker)
    value_at = addml_text.index("<value>2</value>", at)
    (counted / "arkivuttrekk.xml").write_text(addml_text[:value_at] + "<value>3</value>" + addml_text[value_at + 16:])
    assert [f["test"] for f in _errors(counted)] == ["N5_16"]

    # Each changed XML file no longer matches its checksum in arkivuttrekk.xml, and says what is wrong.
    outside = copy("outside")
    text = (outside / "arkivstruktur.xml").read_text()
    day = text.split("<journaldato>", 1)[1][:10]
    (outside / "arkivstruktur.xml").write_text(text.replace(f"<journaldato>{day}", "<journaldato>1999-01-01", 1))
    assert sorted(f["test"] for f in _errors(outside)) == ["ADDML_CHECKSUM", "N5_60"]

    dangling = copy("dangling")
    text = (dangling / "endringslogg.xml").read_text()
    reference = text.split("<referanseArkivenhet>", 1)[1][:36]
    (dangling / "endringslogg.xml").write_text(text.replace(reference, "00000000-0000-4000-8000-0000000000ff"))
    found = _errors(dangling)
    changes = text.count(f"<referanseArkivenhet>{reference}</referanseArkivenhet>")
    assert sorted(f["test"] for f in found) == ["ADDML_CHECKSUM"] + ["N5_62"] * changes


def _findings(folder: Path, *severities: str) -> list[tuple[str, str, str | None]]:
    return sorted((f["test"], f["severity"], f["system_id"]) for f in validate_extraction(folder).as_json()["findings"]
                  if f["severity"] in severities)


def _tamper(folder: Path, name: str, old: str, new: str) -> None:
    text = (folder / name).read_text()
    assert old in text, old
    (folder / name).write_text(text.replace(old, new, 1))


async def test_statuses_dates_and_counts_give_arkades_ids_and_severities(journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    ids = await _archive(journal)
    good = await _export(journal, tmp_path / "uttrekk")
    tree = etree.parse(str(good / "arkivstruktur.xml"), etree.XMLParser(**PARSER_OPTIONS))
    saksmappe = tree.find(f".//{NS}mappe").findtext(NS + "systemID")
    [first, *_] = tree.iter(NS + "registrering")
    created = first.findtext(NS + "opprettetDato")
    first_id = first.findtext(NS + "systemID")

    # An open case and journalposts not yet archived are deposited, with a warning (N5_15, N5_22).
    report = validate_extraction(good).as_json()
    assert report["valid"]
    # The screened journalpost has no document: a count, so one warning (N5_21).
    assert _findings(good, "warning") == [("N5_15", "warning", saksmappe), ("N5_21", "warning", None),
                                          ("N5_22", "warning", None)]
    [statuses] = [f["message"] for f in report["findings"] if f["test"] == "N5_22"]
    assert statuses == "2 journalpost with journalstatus Journalført, not final (Arkivert or Utgår)"
    assert {(f["test"], f["severity"]) for f in report["findings"] if f["test"] in ("N5_25", "N5_27", "N5_28")} == {
        ("N5_25", "info"), ("N5_27", "info"), ("N5_28", "info")}

    def copy(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(good, target)
        return target

    untyped = copy("untyped")
    _tamper(untyped, "arkivstruktur.xml", "<journalposttype>Inngående dokument</journalposttype>",
            "<journalposttype> </journalposttype>")
    assert [(f["test"], f["system_id"]) for f in _errors(untyped)] == [("ADDML_CHECKSUM", None), ("N5_17", first_id)]

    early = copy("early")
    _tamper(early, "arkivstruktur.xml", f"<opprettetDato>{created}</opprettetDato>",
            "<opprettetDato>1999-12-31T23:30:00+00:00</opprettetDato>")
    found = _errors(early)
    assert [(f["test"], f["system_id"]) for f in found] == [("ADDML_CHECKSUM", None), ("N5_27", first_id)]
    # The day is Oslo's: 23:30 UTC on New Year's Eve is already 2000 there.
    assert found[1]["message"].startswith("registrering created 2000-01-01, outside the arkivdel's period")

    drafted = copy("drafted")
    _tamper(drafted, "arkivstruktur.xml", "<dokumentstatus>Dokumentet er ferdigstilt</dokumentstatus>",
            "<dokumentstatus>Dokumentet er under redigering</dokumentstatus>")
    assert ("N5_25", "warning", None) in _findings(drafted, "warning")

    miscounted = copy("miscounted")
    _tamper(miscounted, "arkivuttrekk.xml",
            '<property name="antallDokumentfiler" dataType="integer"><value>1</value>',
            '<property name="antallDokumentfiler" dataType="integer"><value>2</value>')
    assert [(f["test"], f["message"]) for f in _errors(miscounted)] == [
        ("N5_28", "1 document files in dokumenter/, arkivuttrekk.xml says 2 (antallDokumentfiler)")]
    assert ids  # the archive above is what was exported


async def test_a_period_without_public_entries_changes_or_documents_leaves_the_empty_files_out(
        journal: Journal, tmp_path: Path) -> None:
    """The schemas demand at least one entry: no offentligJournal.xml, endringslogg.xml or dokumenter object then."""
    _schemas_or_skip()
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    internal = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter", headers=headers,
                                         json=incoming(journalposttype="X"))
    assert internal.status_code == 201, internal.text
    async with journal.runtime.database.unit_of_work() as session:  # a period whose changes are not logged
        await session.execute(delete(Endringslogg))
    out = await _export(journal, tmp_path / "uttrekk")
    assert not (out / "offentligJournal.xml").exists() and not (out / "endringslogg.xml").exists()
    listing = (out / "arkivuttrekk.xml").read_text()
    assert "offentligJournal.xml" not in listing and "endringslogg.xml" not in listing
    assert 'name="dokumenter"' not in listing and list((out / "dokumenter").iterdir()) == []
    parser = etree.XMLParser(**PARSER_OPTIONS)
    addml_schema = etree.XMLSchema(etree.parse(str(reference_file("noark5/xsd-v5.0/addml.xsd")), parser))
    assert addml_schema.validate(etree.parse(str(out / "arkivuttrekk.xml"), parser)), addml_schema.error_log
    report = validate_extraction(out).as_json()
    assert report["valid"], [f for f in report["findings"] if f["severity"] == "error"]
    left_out = {(f["test"], f["severity"], f["message"]) for f in report["findings"] if "left out" in f["message"]}
    assert left_out == {
        ("N5_59", "info", "offentligJournal.xml is left out: no public journal entry in the period"),
        ("N5_61", "info", "endringslogg.xml is left out: no change in the period")}

    # A file put back that arkivuttrekk.xml does not list is an error (and this one is not schema-valid either).
    (out / "endringslogg.xml").write_text("<endringslogg/>")
    assert [(f["test"], f["file"]) for f in _errors(out)] == [("ADDML_CHECKSUM", "endringslogg.xml"),
                                                              ("XSD", "endringslogg.xml")]


async def test_journalposts_without_a_party_give_schema_valid_journals_with_the_known_side(
        journal: Journal, tmp_path: Path) -> None:
    """loependeJournal/offentligJournal demand a korrespondansepart per journalpost; arkivstruktur does not.

    The journals list the journalpost's own administrative unit (internal receiver of an incoming
    letter, internal sender of the rest); arkivstruktur keeps what was registered, and the
    validator reports the missing party (N5_39).
    """
    _schemas_or_skip()
    headers = journal.fagsystem()
    saksmappe = (await journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    made = {}
    for kind in ("I", "U", "N", "X"):
        response = await journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter", headers=headers,
                                             json=incoming(journalposttype=kind))
        assert response.status_code == 201, response.text
        made[response.json()["systemID"]] = kind
    async with journal.runtime.database.unit_of_work() as session:  # as a migrated archive may hold them
        await session.execute(delete(Korrespondansepart))
    out = await _export(journal, tmp_path / "uttrekk")
    parser = etree.XMLParser(**PARSER_OPTIONS)
    for schema in ("loependeJournal", "offentligJournal", "arkivstruktur"):
        xsd = etree.XMLSchema(etree.parse(str(reference_file(f"noark5/xsd-v5.0/{schema}.xsd")), parser))
        assert xsd.validate(etree.parse(str(out / f"{schema}.xml"), parser)), xsd.error_log
    loepende = "{http://www.arkivverket.no/standarder/noark5/loependeJournal}"
    listed = {post.findtext(loepende + "systemID"): [(part.findtext(loepende + "korrespondanseparttype"),
                                                      part.findtext(loepende + "korrespondansepartNavn"))
                                                     for part in post.iter(loepende + "korrespondansepart")]
              for post in etree.parse(str(out / "loependeJournal.xml"), parser).iter(loepende + "journalpost")}
    expected = {"I": "Intern mottaker", "U": "Intern avsender", "N": "Intern avsender", "X": "Intern avsender"}
    assert listed == {system_id: [(expected[kind], str(UNIT))] for system_id, kind in made.items()}
    assert "korrespondansepart" not in (out / "arkivstruktur.xml").read_text()
    report = validate_extraction(out).as_json()
    assert report["valid"], [f for f in report["findings"] if f["severity"] == "error"]
    assert {f["system_id"] for f in report["findings"] if f["test"] == "N5_39"} == set(made)


async def test_xml_with_an_external_entity_is_refused_unread(journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal)
    good = await _export(journal, tmp_path / "uttrekk")
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPPHEMMELIG-INNHOLD")
    text = (good / "endringslogg.xml").read_text()
    body = text.split("?>", 1)[1]
    doctype = f'<!DOCTYPE endringslogg [<!ENTITY x SYSTEM "file://{secret}">]>'
    hostile = body.replace("<endretAv>", "<endretAv>&x;", 1)
    (good / "endringslogg.xml").write_text('<?xml version="1.0" encoding="utf-8"?>\n' + doctype + hostile)
    report = validate_extraction(good).as_json()
    assert "TOPPHEMMELIG" not in json.dumps(report)
    refused = [(f["test"], f["message"]) for f in report["findings"] if f["severity"] == "error"]
    # The file changed, so its checksum no longer matches; and it is not read at all.
    assert refused == [("ADDML_CHECKSUM", "endringslogg.xml: SHA-256 differs from arkivuttrekk.xml"),
                       ("XML", "endringslogg.xml declares a DTD (entities); refused unread")]


async def test_the_command_line_exports_validates_and_writes_both_reports(
        journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _schemas_or_skip()
    await _archive(journal)
    year = today_in_oslo().year
    out = tmp_path / "uttrekk"
    settings = journal.app.state.journal_context.settings
    args = cli.parser().parse_args(["export", "--arkivdel", str(DEFAULT_ARKIVDEL_ID), "--from", f"{year}-01-01",
                                    "--to", f"{year}-12-31", "--out", str(out)])
    code = await cli.run(args, settings, sys.stdout)
    printed = json.loads(capsys.readouterr().out)
    assert code == cli.EXIT_VALID and printed["valid"] is True and printed["counts"]["journalpost"] == 2
    assert (tmp_path / "uttrekk-valideringsrapport.html").read_text().startswith("<!DOCTYPE html>")

    # Again into the same folder: refused, nothing overwritten.
    assert await cli.run(args, settings, sys.stdout) == cli.EXIT_USAGE
    (out / "dokumenter" / "ukjent.pdf").write_bytes(b"%PDF-1.7\n")
    again = cli.parser().parse_args(["validate-extraction", str(out)])
    assert await cli.run(again, settings, sys.stdout) == cli.EXIT_INVALID
    assert json.loads(capsys.readouterr().out)["summary"]["error"] == 2  # N5_33 and N5_28


async def test_the_command_line_streams_a_tar_and_validates_a_tar(
        journal: Journal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _schemas_or_skip()
    await _archive(journal)
    year = today_in_oslo().year
    settings = journal.app.state.journal_context.settings
    export = ["export", "--arkivdel", str(DEFAULT_ARKIVDEL_ID), "--from", f"{year}-01-01", "--to", f"{year}-12-31"]
    deposit = tmp_path / "deposit"
    deposit.mkdir()
    target = deposit / f"uttrekk-{year}.tar"
    assert await cli.run(cli.parser().parse_args([*export, "--tar", str(target)]), settings, sys.stdout) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["valid"] is True and printed["extraction"] == str(target)
    # Beside the tar its two reports, and no working folder left behind.
    assert sorted(p.name for p in deposit.iterdir()) == [
        f"uttrekk-{year}-valideringsrapport.html", f"uttrekk-{year}-valideringsrapport.json", target.name]
    with tarfile.open(target) as tar:
        names = tar.getnames()
        top = f"uttrekk-{year}"
        # One top folder: the XML files, the schemas, then the documents.
        assert names[:13] == [top, *(f"{top}/{n}" for n in (
            "arkivstruktur.xml", "endringslogg.xml", "loependeJournal.xml", "offentligJournal.xml", "arkivuttrekk.xml",
            "arkivstruktur.xsd", "metadatakatalog.xsd", "endringslogg.xsd", "loependeJournal.xsd",
            "offentligJournal.xsd", "addml.xsd", "dokumenter"))]
        assert len(names) == 14 and names[13].startswith(f"{top}/dokumenter/")
    # Again onto the same file: refused, the tar untouched.
    before = target.read_bytes()
    assert await cli.run(cli.parser().parse_args([*export, "--tar", str(target)]), settings, sys.stdout) == 2
    assert target.read_bytes() == before

    # The tar validates as the folder does; a tar whose content was changed does not.
    assert await cli.run(cli.parser().parse_args(["validate-extraction", str(target)]), settings, sys.stdout) == 0
    assert json.loads(capsys.readouterr().out)["valid"] is True
    unpacked = tmp_path / "unpacked"
    with tarfile.open(target) as tar:
        tar.extractall(unpacked, filter="data")
    [document] = (unpacked / top / "dokumenter").iterdir()
    document.write_bytes(b"%PDF-1.7\n%changed\n%%EOF\n")
    changed = tmp_path / "changed.tar"
    with tarfile.open(changed, "w") as tar:
        tar.add(unpacked / top, arcname=top)
    assert await cli.run(cli.parser().parse_args(["validate-extraction", str(changed)]), settings, sys.stdout) == 1
    assert sorted(f["test"] for f in json.loads(capsys.readouterr().out)["findings"] if f["severity"] == "error") == [
        "ADDML_CHECKSUM", "N5_30"]

    # To stdout: the tar on the binary stream, the report on stderr.
    stream = io.BytesIO()
    code = await cli.run(cli.parser().parse_args([*export, "--tar", "-"]), settings, sys.stdout, stream)
    captured = capsys.readouterr()
    assert code == 0 and captured.out == "" and json.loads(captured.err[captured.err.index("{"):])["valid"] is True
    with tarfile.open(fileobj=io.BytesIO(stream.getvalue())) as tar:
        assert "arkivuttrekk/arkivuttrekk.xml" in tar.getnames()


@pytest.mark.parametrize("hostile", ["link", "parent"])
async def test_a_tar_with_a_link_or_a_name_outside_itself_is_refused(
        journal: Journal, tmp_path: Path, hostile: str, capsys: pytest.CaptureFixture[str]) -> None:
    deposit = tmp_path / "deposit"
    deposit.mkdir()
    target = deposit / "hostile.tar"
    with tarfile.open(target, "w") as tar:
        if hostile == "link":
            member = tarfile.TarInfo("uttrekk/arkivstruktur.xml")
            member.type, member.linkname = tarfile.SYMTYPE, "/etc/passwd"
            tar.addfile(member)
        else:
            member = tarfile.TarInfo("../utenfor.xml")
            member.size = 4
            tar.addfile(member, io.BytesIO(b"<a/>"))
    settings = journal.app.state.journal_context.settings
    code = await cli.run(cli.parser().parse_args(["validate-extraction", str(target)]), settings, sys.stdout)
    [finding] = json.loads(capsys.readouterr().out)["findings"]
    assert code == cli.EXIT_INVALID and finding["test"] == "XML" and finding["message"].startswith("the tar is refused")
    assert not (tmp_path / "utenfor.xml").exists()
    assert sorted(p.name for p in deposit.iterdir()) == ["hostile-valideringsrapport.html",
                                                          "hostile-valideringsrapport.json", "hostile.tar"]
