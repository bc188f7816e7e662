"""Migration import: our own extraction imported into an empty journal, exported again, the same; refusals; crashes.

Every test runs on SQLite and PostgreSQL: the source journal is the `journal` fixture, the
target a second, empty journal on its own database of the same backend and its own document
store.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import random
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import pytest
from backends import DatabaseBackend, database_url_named
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import configure_mappers

from arkiv5_journal.app import MIGRATIONS_DIR
from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID
from arkiv5_journal.domain.numbering import today_in_oslo
from arkiv5_journal.migrering import cli, parse, records
from arkiv5_journal.migrering.importer import ImportReport, import_extraction
from arkiv5_journal.models import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Journalpost,
    Korrespondansepart,
    Saksmappe,
)
from arkiv5_journal.settings import JournalSettings
from arkiv5_journal.uttrekk.export import ExportRequest, export_extraction
from arkiv5_journal.uttrekk.validate import PARSER_OPTIONS, validate_extraction
from arkiv5_kit.reference import ReferenceFileMissing, reference_dir, reference_file

from .conftest import Journal, _journal, case, incoming

PDF = b"%PDF-1.7\n" + "Vedtak – æøå\n".encode() * 40 + b"%%EOF\n"
NS = "{http://www.arkivverket.no/standarder/noark5/arkivstruktur}"
ENTITIES = ("mappe", "registrering", "dokumentbeskrivelse", "dokumentobjekt")


def _schemas_or_skip() -> None:
    from required import missing

    try:
        reference_file("noark5/xsd-v5.0/arkivstruktur.xsd")
    except ReferenceFileMissing:
        missing("the Noark 5 v5.0 schemas (reference folder)", state="missing")


@pytest.fixture
async def empty_journal(tmp_path: Path, db_backend: Any) -> AsyncIterator[Journal]:
    """A second journal: its own database (same backend, newest schema, no records) and document store."""
    if db_backend.is_postgresql:
        target = DatabaseBackend("postgresql", database_url_named(db_backend.server_url, f"t_{uuid4().hex[:16]}"),
                                 db_backend.templates, server_url=db_backend.server_url)
    else:
        target = DatabaseBackend("sqlite", f"sqlite+aiosqlite:///{tmp_path}/target/journal.sqlite", db_backend.templates)
    url = await target.migrated(MIGRATIONS_DIR)
    try:
        async for journal in _journal(tmp_path / "target", database_url=url, migrate_on_start=False):
            yield journal
    finally:
        await target.drop()


async def _archive(journal: Journal, cases: int = 2, posts: int = 3) -> None:
    """Cases with journalposts, parties, a document on the first journalpost of each case, a screened one."""
    headers = journal.fagsystem()
    for c in range(cases):
        saksmappe = (await journal.client.post("/saksmapper", json=case(tittel=f"Sak {c}"), headers=headers)).json()
        url = f"/saksmapper/{saksmappe['systemID']}/journalposter"
        for p in range(posts):
            extra: dict[str, Any] = {}
            if p == posts - 1 and p > 0:
                extra = {"skjerming": {"tilgangsrestriksjon": "6", "skjermingshjemmel": "Offl. § 13",
                                       "skjermingMetadata": ["TRO"]}}
            created = await journal.client.post(url, json=incoming(tittel=f"Brev {c}.{p}", **extra), headers=headers)
            assert created.status_code == 201, created.text
            if p == 0:
                upload = await journal.client.post(f"/journalposter/{created.json()['systemID']}/dokumenter",
                                                   content=PDF + bytes([c]), params={"tittel": "Vedtak"},
                                                   headers=headers)
                assert upload.status_code == 201, upload.text


async def _export(journal: Journal, out: Path) -> Path:
    today = today_in_oslo()
    request = ExportRequest(arkivdel_id=DEFAULT_ARKIVDEL_ID, fra=date(today.year, 1, 1), til=date(today.year, 12, 31),
                            out=out)
    await export_extraction(journal.runtime.database.engine, journal.app.state.blob_store, request)
    return out


async def _import(journal: Journal, folder: Path, **options: Any) -> ImportReport:
    return await import_extraction(journal.runtime.database.engine, journal.app.state.blob_store, folder, **options)


def _content(folder: Path) -> dict[str, Any]:
    """What must survive a round trip: each record's systemID, numbers, titles, statuses and checksums."""
    records = []
    tree = etree.parse(str(folder / "arkivstruktur.xml"), etree.XMLParser(**PARSER_OPTIONS))
    for tag in ENTITIES:
        for element in tree.iter(NS + tag):
            fields = ("systemID", "tittel", "offentligTittel", "saksaar", "sakssekvensnummer", "saksstatus",
                      "journalaar", "journalsekvensnummer", "journalpostnummer", "journalposttype", "journalstatus",
                      "journaldato", "dokumentnummer", "sjekksum", "filstoerrelse", "variantformat",
                      "referanseDokumentfil", "opprettetDato", "opprettetAv")
            records.append((tag, tuple(element.findtext(NS + f) for f in fields),
                            tuple(p.findtext(NS + "korrespondansepartNavn")
                                  for p in element.iterfind(NS + "korrespondansepart")),
                            element.find(NS + "skjerming") is not None))
    log: list[tuple[str | None, ...]] = []
    if (folder / "endringslogg.xml").is_file():  # optional: a period without a change has none (N5_61)
        changes = etree.parse(str(folder / "endringslogg.xml"), etree.XMLParser(**PARSER_OPTIONS)).getroot()
        log = sorted(tuple(child.text for child in endring) for endring in changes)
    files = sorted((p.name, p.read_bytes()) for p in (folder / "dokumenter").iterdir())
    return {"records": sorted(records, key=repr), "changes": log, "files": files}


async def _count(journal: Journal, model: Any) -> int:
    async with journal.runtime.database.unit_of_work() as session:
        return int((await session.execute(select(func.count()).select_from(model))).scalar_one())


async def _counts(journal: Journal) -> dict[str, int]:
    return {model.__tablename__: await _count(journal, model) for model in (
        Saksmappe, Journalpost, Korrespondansepart, Dokumentbeskrivelse, Dokumentobjekt, Endringslogg)}


async def test_round_trip_export_import_export_gives_the_same_content(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal)
    first = await _export(journal, tmp_path / "first")
    report = await _import(empty_journal, first, batch_size=2)
    assert not report.refused and report.validation["valid"], report.validation
    assert report.imported["saksmapper"] == 2 and report.imported["journalposter"] == 6
    assert report.imported["dokumentobjekter"] == 2 and report.refused_count == 0
    assert report.imported["endringer"] == validate_extraction(first).counts.get("endringslogg.xml:endring")

    second = await _export(empty_journal, tmp_path / "second")
    assert validate_extraction(second).errors == 0
    assert _content(second) == _content(first)
    # The documents are in the new journal's own store, downloadable there.
    objekt = (await empty_journal.client.get("/journalposter", headers=empty_journal.fagsystem())).json()
    assert objekt  # the imported journalposts are listed through the API

    # Importing again finds everything there and writes nothing.
    before = await _counts(empty_journal)
    again = await _import(empty_journal, first)
    assert dict(again.imported) in ({}, {"arkivstruktur": 0}) or sum(again.imported.values()) == 0
    assert again.already_imported["journalposter"] == 6 and await _counts(empty_journal) == before


async def test_numbering_continues_after_the_highest_imported_number(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal, cases=1, posts=2)
    await _import(empty_journal, await _export(journal, tmp_path / "x"))
    async with empty_journal.runtime.database.unit_of_work() as session:
        highest_case = (await session.execute(select(func.max(Saksmappe.sakssekvensnummer)))).scalar_one()
        highest_post = (await session.execute(select(func.max(Journalpost.journalsekvensnummer)))).scalar_one()
    headers = empty_journal.fagsystem()
    saksmappe = (await empty_journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    assert saksmappe["sakssekvensnummer"] == highest_case + 1
    post = await empty_journal.client.post(f"/saksmapper/{saksmappe['systemID']}/journalposter", json=incoming(),
                                           headers=headers)
    assert post.status_code == 201, post.text
    assert post.json()["journalsekvensnummer"] == highest_post + 1


async def test_a_dry_run_writes_nothing_and_says_what_it_would_import(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal)
    folder = await _export(journal, tmp_path / "x")
    report = await _import(empty_journal, folder, dry_run=True)
    document = report.as_json()
    assert document["dryRun"] and document["wouldImport"]["journalposter"] == 6
    assert document["wouldImport"]["saksmapper"] == 2 and document["wouldImport"]["dokumentobjekter"] == 2
    assert set((await _counts(empty_journal)).values()) == {0}
    blobs = tmp_path / "target" / "blobs"
    assert not blobs.exists() or not any(p.is_file() for p in blobs.rglob("*"))


async def test_records_whose_numbers_the_journal_holds_are_refused_the_rest_imported(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    """Case 1 and journalposts 1-4 of this year exist in the target: the imported case 1 is refused with its
    journalposts, journalpost 4 of case 2 is refused for its number, journalposts 5 and 6 are imported."""
    _schemas_or_skip()
    await _archive(journal)  # cases 1 and 2, journalposts 1-3 and 4-6
    headers = empty_journal.fagsystem()
    held = (await empty_journal.client.post("/saksmapper", json=case(), headers=headers)).json()
    for _ in range(4):
        made = await empty_journal.client.post(f"/saksmapper/{held['systemID']}/journalposter", json=incoming(),
                                               headers=headers)
        assert made.status_code == 201, made.text
    report = await _import(empty_journal, await _export(journal, tmp_path / "x"))
    assert report.imported["saksmapper"] == 1 and report.imported["journalposter"] == 2
    reasons = Counter(r["reason"] for r in report.refused_records)
    assert reasons == {"saksaar/sakssekvensnummer held by another saksmappe": 1, "its saksmappe was refused": 3,
                       "journalaar/journalsekvensnummer held by another journalpost": 1}
    assert (await _counts(empty_journal))["journalpost"] == 6


async def test_an_extraction_without_a_change_log_imports_its_records(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    """endringslogg.xml is optional (no change in the period, N5_61): the records import, no change is counted."""
    _schemas_or_skip()
    await _archive(journal, cases=1, posts=2)
    folder = await _export(journal, tmp_path / "x")
    (folder / "endringslogg.xml").unlink()
    report = await _import(empty_journal, folder, validate=False)
    assert report.imported["saksmapper"] == 1 and report.imported["journalposter"] == 2
    assert report.imported["endringer"] == 0 and (await _counts(empty_journal))["endringslogg"] == 0


async def test_an_invalid_extraction_is_refused_with_the_validators_findings(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal, cases=1, posts=1)
    folder = await _export(journal, tmp_path / "x")
    [document] = list((folder / "dokumenter").iterdir())
    document.write_bytes(b"%PDF-1.7 changed")
    report = await _import(empty_journal, folder)
    assert report.refused and not report.validation["valid"]
    assert {f["test"] for f in report.validation["errors"]} >= {"N5_30"}
    assert set((await _counts(empty_journal)).values()) == {0}


XXE = """<?xml version="1.0"?>
<!DOCTYPE arkiv [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<arkiv xmlns="http://www.arkivverket.no/standarder/noark5/arkivstruktur"><systemID>&xxe;</systemID></arkiv>
"""
LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<arkiv xmlns="http://www.arkivverket.no/standarder/noark5/arkivstruktur"><systemID>&lol4;</systemID></arkiv>
"""


@pytest.mark.parametrize("hostile", [XXE, LAUGHS], ids=["external-entity", "entity-expansion"])
async def test_hostile_xml_is_refused_unread(journal: Journal, empty_journal: Journal, tmp_path: Path,
                                             hostile: str) -> None:
    _schemas_or_skip()
    await _archive(journal, cases=1, posts=1)
    folder = await _export(journal, tmp_path / "x")
    (folder / "arkivstruktur.xml").write_text(hostile, encoding="utf-8")
    report = await _import(empty_journal, folder)
    assert report.refused
    assert any("DTD" in f["message"] for f in report.validation["errors"])
    assert set((await _counts(empty_journal)).values()) == {0}
    # The parser itself refuses the file too, without reading past the DOCTYPE.
    with pytest.raises(parse.HostileXml):
        list(parse.mapper(folder / "arkivstruktur.xml"))


def _environment(journal: Journal, var_dir: Path) -> dict[str, str]:
    url = journal.runtime.database.engine.url.render_as_string(hide_password=False)
    return {**os.environ, "JOURNAL_DATABASE_URL": url, "JOURNAL_VAR_DIR": str(var_dir),
            "JOURNAL_BLOB_DIR": str(journal.app.state.blob_store.root), "JOURNAL_LOG_JSON": "false"}


async def _run_cli(environment: dict[str, str], folder: Path, *, kill_after: int | None,
                   said: list[str]) -> int | None:
    """Run the import as its own process; SIGKILL it once `kill_after` batches are committed."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "arkiv5_journal", "import-extraction", str(folder), "--batch-size", "1",
        env=environment, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    assert process.stderr is not None
    committed = 0
    while line := await process.stderr.readline():
        said.append(line.decode(errors="replace"))
        if b"batch committed" in line:
            committed += 1
            if kill_after is not None and committed >= kill_after:
                process.send_signal(signal.SIGKILL)
                await process.wait()
                return None
    return await process.wait()


async def test_an_import_killed_at_random_points_resumes_to_the_same_result(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal, cases=2, posts=3)
    folder = await _export(journal, tmp_path / "x")
    environment = _environment(empty_journal, tmp_path / "cli")
    # 2 saksmappe batches and a dozen of the change log's: killed twice somewhere in between.
    points = sorted(random.Random().sample(range(1, 12), 2))
    said: list[str] = []
    for kill_after in points:
        assert await _run_cli(environment, folder, kill_after=kill_after, said=said) is None, "".join(said)
    assert await _run_cli(environment, folder, kill_after=None, said=said) == cli.EXIT_IMPORTED, said
    counts = await _counts(empty_journal)
    expected = validate_extraction(folder).counts
    assert counts["journalpost"] == expected["journalpost"] == 6
    assert counts["saksmappe"] == expected["arkivstruktur.xml:mappe"]
    assert counts["endringslogg"] == expected["endringslogg.xml:endring"]
    assert counts["dokumentobjekt"] == expected["arkivstruktur.xml:dokumentobjekt"]
    # The same as an uninterrupted import: exported again, the content is the original's.
    assert _content(await _export(empty_journal, tmp_path / "after")) == _content(folder), f"killed at {points}"


async def test_the_cli_writes_its_report(journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    await _archive(journal, cases=1, posts=2)
    folder = await _export(journal, tmp_path / "x")
    settings = JournalSettings(database_url=_environment(empty_journal, tmp_path)["JOURNAL_DATABASE_URL"],
                               var_dir=tmp_path / "cli", blob_dir=empty_journal.app.state.blob_store.root)
    args = cli.parser().parse_args(["import-extraction", str(folder), "--dry-run", "--report",
                                    str(tmp_path / "report.json")])
    printed = io.StringIO()
    assert await cli.run(args, settings, printed) == cli.EXIT_IMPORTED
    written = json.loads((tmp_path / "report.json").read_text())
    assert written == json.loads(printed.getvalue())
    assert written["wouldImport"]["journalposter"] == 2 and written["refusedRecords"]["count"] == 0
    missing = cli.parser().parse_args(["import-extraction", str(tmp_path / "nowhere")])
    assert await cli.run(missing, settings, io.StringIO()) == cli.EXIT_USAGE


def test_another_systems_example_is_read_as_records() -> None:
    """The reference example written by another Noark 5 system (noark5-tester's `enkel`) maps without a refusal."""
    path = reference_dir() / "noark5/examples/enkel/arkivstruktur.xml"
    if not path.is_file():
        from required import missing

        missing("the Noark 5 examples (reference folder)", state="missing")
    configure_mappers()
    [mappe] = list(parse.mapper(path))
    assert isinstance(mappe, records.Mappe)
    assert (mappe.saksmappe.saksaar, mappe.saksmappe.sakssekvensnummer) == (2018, 1)
    [post] = mappe.poster
    assert post.journalpost.journalstatus == "J" and post.journalpost.journalposttype == "I"
    assert len(post.parts) == 1 and len(post.avskrivninger) == 1 and mappe.parts[0].part_rolle == "FORM"
    assert [reason for _, reason in mappe.skipped] == ["registrering that is not a journalpost"]


ENKEL_ARKIVDEL_ID = UUID("86901dd8-44d7-11e9-a179-f3deb50c8c40")
# Its journalpost is dated 2017 but says it was created in 1863 (test data): the period holds both, as N5_27 asks.
ENKEL_PERIOD = (date(1863, 1, 1), date(2018, 12, 31))


def _example(name: str) -> Path:
    path = reference_dir() / "noark5/examples" / name
    if not path.exists():
        from required import missing

        missing("the Noark 5 examples (reference folder)", state="missing")
    return path


async def test_another_systems_example_imports_exports_valid_and_reimports_the_same(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    """The reference example written by another Noark 5 system (noark5-tester's `enkel`) goes the whole round:
    imported into an empty archive, exported with zero validation errors, that export imported into a second
    empty archive, and exported again with the same records, numbers, titles and parties."""
    _schemas_or_skip()
    enkel = _example("enkel")
    # The example is an arkivstruktur.xml and its document only (no arkivuttrekk.xml, as other systems' test
    # data often is), so it cannot pass the extraction validator as a folder; its XML is schema-valid, which
    # SOURCES.txt records and the parser's own checks rely on.
    imported = await _import(empty_journal, enkel, validate=False)
    assert not imported.refused and imported.refused_count == 0, imported.as_json()
    assert imported.imported["saksmapper"] == 1 and imported.imported["journalposter"] == 1
    # Its one document belongs to an arkivnotat, which the journal does not hold: skipped, and the report says so.
    assert imported.imported["dokumentobjekter"] == 0
    assert [r["reason"] for r in imported.skipped] == ["registrering that is not a journalpost"], imported.skipped

    request = ExportRequest(arkivdel_id=ENKEL_ARKIVDEL_ID, fra=ENKEL_PERIOD[0], til=ENKEL_PERIOD[1],
                            out=tmp_path / "first")
    await export_extraction(empty_journal.runtime.database.engine, empty_journal.app.state.blob_store, request)
    first = validate_extraction(request.out)
    assert first.errors == 0, [f for f in first.as_json()["findings"] if f["severity"] == "error"]

    # The export re-imports (validated this time) into an archive of its own with identical content.
    again = await _import(journal, request.out)
    assert not again.refused and again.validation["valid"] and again.refused_count == 0, again.as_json()
    second = ExportRequest(arkivdel_id=ENKEL_ARKIVDEL_ID, fra=ENKEL_PERIOD[0], til=ENKEL_PERIOD[1],
                           out=tmp_path / "second")
    await export_extraction(journal.runtime.database.engine, journal.app.state.blob_store, second)
    assert validate_extraction(second.out).errors == 0
    assert _content(second.out) == _content(request.out)


@pytest.mark.parametrize(("example", "finding"), [
    ("arkade-Version5_5-arkivstruktur.xml", "systemID"),
    ("noark5-tester-open-arkivstruktur.xml", "Dato"),
], ids=["arkade-systemid-not-uuid", "noark5-tester-datetime-in-date"])
async def test_the_negative_examples_are_refused_with_the_schema_finding(
        journal: Journal, empty_journal: Journal, tmp_path: Path, example: str, finding: str) -> None:
    """Other projects' must-fail arkivstruktur.xml files, put into an otherwise valid extraction of ours: the
    validator names the schema error in arkivstruktur.xml and the import refuses without writing."""
    _schemas_or_skip()
    negative = _example("negative") / example
    await _archive(journal, cases=1, posts=1)
    folder = await _export(journal, tmp_path / "x")
    (folder / "arkivstruktur.xml").write_bytes(negative.read_bytes())
    report = await _import(empty_journal, folder)
    assert report.refused and not report.validation["valid"]
    xsd = [f for f in report.validation["errors"] if f["test"] == "XSD" and f.get("file") == "arkivstruktur.xml"]
    assert xsd and finding in xsd[0]["message"], report.validation["errors"]
    assert "ADDML_CHECKSUM" in {f["test"] for f in report.validation["errors"]}
    assert set((await _counts(empty_journal)).values()) == {0}


async def test_a_value_longer_than_its_field_refuses_its_case_with_the_reason_and_imports_the_rest(
        journal: Journal, empty_journal: Journal, tmp_path: Path) -> None:
    """A screening authority longer than the journal holds (500 characters) refuses that case with a reason
    naming the field, not the value, on both databases alike (PostgreSQL failed the batch's INSERT, SQLite
    stored it unchecked)."""
    _schemas_or_skip()
    await _archive(journal, cases=2, posts=2)  # each case's second journalpost is screened
    folder = await _export(journal, tmp_path / "x")
    tree = etree.parse(str(folder / "arkivstruktur.xml"), etree.XMLParser(**PARSER_OPTIONS))
    next(tree.iter(NS + "skjermingshjemmel")).text = "Ø" * 501
    tree.write(str(folder / "arkivstruktur.xml"), xml_declaration=True, encoding="utf-8")
    report = await _import(empty_journal, folder, validate=False)
    assert report.imported["saksmapper"] == 1 and report.imported["journalposter"] == 2, report.as_json()
    [refused] = report.refused_records
    assert refused["reason"] == "journalpost.skjermingshjemmel is longer than 500 characters"
    assert "Ø" not in json.dumps(report.as_json())
    assert (await _counts(empty_journal))["journalpost"] == 2
