"""Arkivuttrekk at volume through the command line: many batches, cases and klasser spanning them; time and peak RSS printed.

`ARKIV5_UTTREKK_JOURNALPOSTER` sets the size (default 1,500: three batches and a half);
the figure for docs/exchange.md was taken with 10,000:

    ARKIV5_UTTREKK_JOURNALPOSTER=10000 uv run pytest services/journal/tests/test_uttrekk_volume.py -q -s
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import insert

from arkiv5_journal.arkivstruktur.structure import DEFAULT_ARKIVDEL_ID, DEFAULT_KLASSIFIKASJONSSYSTEM_ID
from arkiv5_journal.models import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Journalpost,
    Klasse,
    Korrespondansepart,
    Saksmappe,
)
from arkiv5_kit.reference import reference_dir

from .conftest import UNIT, Journal, case
from .test_uttrekk import _schemas_or_skip

PER_CASE = 10
CHUNK = 1000
DOCUMENT = b"%PDF-1.7\n" + b"Vedtak\n" * 200 + b"%%EOF\n"
YEAR = 2025


async def _one(data: bytes) -> AsyncIterator[bytes]:
    yield data


def _table(model: Any) -> Any:
    return model.__table__


async def _seed(journal: Journal, count: int) -> None:
    """`count` journalposts in cases of ten, every other case in a klasse, each with a party, a document and a change."""
    assert (await journal.client.post("/saksmapper", json=case(), headers=journal.fagsystem())).status_code == 201
    blob = await journal.app.state.blob_store.put_stream(_one(DOCUMENT), max_bytes=10**6)
    now = datetime.now(UTC)
    who = {"opprettet_dato": now, "opprettet_av": "migrering"}
    klasser = [{"system_id": uuid4(), "klassifikasjonssystem_id": DEFAULT_KLASSIFIKASJONSSYSTEM_ID,
                "klasse_id": f"V{n:02d}", "tittel": f"Klasse {n}", **who} for n in range(5)]
    rows: dict[Any, list[dict[str, Any]]] = {model: [] for model in (
        Saksmappe, Journalpost, Korrespondansepart, Dokumentbeskrivelse, Dokumentobjekt, Endringslogg)}
    async with journal.runtime.database.unit_of_work() as session:
        await session.execute(insert(_table(Klasse)), klasser)
    for n in range(count):
        if n % PER_CASE == 0:
            saksmappe = uuid4()
            number = n // PER_CASE + 1
            rows[Saksmappe].append({
                "system_id": saksmappe, "arkivdel_id": DEFAULT_ARKIVDEL_ID,
                "klasse_id": klasser[number % 5]["system_id"] if number % 2 else None,
                "mappe_id": f"{YEAR}/{number}", "saksaar": YEAR, "sakssekvensnummer": number,
                "saksdato": date(YEAR, 1, 2), "tittel": f"Sak {number}", "offentlig_tittel": f"Sak {number}",
                "administrativ_enhet_id": UNIT, "saksstatus": "A", "avsluttet_dato": date(YEAR, 12, 30),
                "avsluttet_av": "arkivar", "skjerming_metadata": [], "siste_journalpostnummer": PER_CASE, **who})
        jp = uuid4()
        rows[Journalpost].append({
            "system_id": jp, "saksmappe_id": saksmappe, "journalaar": YEAR, "journalsekvensnummer": n + 1,
            "journalpostnummer": n % PER_CASE + 1, "journalposttype": "I", "journalstatus": "J",
            "journaldato": date(YEAR, 1 + n % 12, 1 + n % 28), "tittel": f"Søknad {n}", "offentlig_tittel": f"Søknad {n}",
            "administrativ_enhet_id": UNIT, "skjerming_metadata": [], **who,
            # created on its journaldato, inside the period (N5_27)
            "opprettet_dato": datetime(YEAR, 1 + n % 12, 1 + n % 28, 12, tzinfo=UTC)})
        rows[Korrespondansepart].append({
            "system_id": uuid4(), "journalpost_id": jp, "korrespondanseparttype": "EA",
            "korrespondansepart_navn": f"Avsender {n}", "postadresse": []})
        beskrivelse = uuid4()
        rows[Dokumentbeskrivelse].append({
            "system_id": beskrivelse, "journalpost_id": jp, "dokumentnummer": 1, "dokumenttype": "B",
            "dokumentstatus": "F", "tittel": f"Søknad {n}", "tilknyttet_registrering_som": "H",
            "tilknyttet_dato": date(YEAR, 1, 2), "tilknyttet_av": "migrering", **who})
        rows[Dokumentobjekt].append({
            "system_id": uuid4(), "dokumentbeskrivelse_id": beskrivelse, "versjonsnummer": 1, "variantformat": "A",
            "format": "application/pdf", "sjekksum": blob.sha256, "sjekksum_algoritme": "SHA-256",
            "filstoerrelse": blob.size, "filnavn": "soknad.pdf", **who})
        rows[Endringslogg].append({
            "id": uuid4(), "referanse_arkivenhet": jp, "arkivenhet_type": "journalpost",
            "referanse_metadata": "journalstatus", "endret_dato": now, "endret_av": "migrering",
            "tidligere_verdi": None, "ny_verdi": "J"})
    for model, values in rows.items():
        for start in range(0, len(values), CHUNK):
            async with journal.runtime.database.unit_of_work() as session:
                await session.execute(insert(_table(model)), values[start:start + CHUNK])


def _command(*args: str, env: dict[str, str], logs: Path) -> tuple[int, float, int, str]:
    """Run `arkiv5-journal …` as its own process: exit code, seconds, its own peak RSS (kB), stdout.

    The command's own timings (from its log) are echoed.
    """
    started = time.perf_counter()
    with (logs / "stdout").open("w+") as stdout, (logs / "stderr").open("w+") as stderr:
        process = subprocess.Popen([sys.executable, "-m", "arkiv5_journal", *args], env=env, stdout=stdout,
                                   stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        stdout.seek(0)
        stderr.seek(0)
        for line in stderr.read().splitlines():
            if " in " in line and ("written" in line or "validated" in line):
                print("\n" + (json.loads(line)["message"] if line.startswith("{") else line))
        return process.returncode, seconds, usage.ru_maxrss, stdout.read()


async def test_a_large_period_exports_valid_in_batches(journal: Journal, tmp_path: Path) -> None:
    """The command line, in its own process as an operator runs it: export (which validates), then validate again."""
    _schemas_or_skip()
    count = int(os.environ.get("ARKIV5_UTTREKK_JOURNALPOSTER", "1500"))
    await _seed(journal, count)
    settings = journal.app.state.journal_context.settings
    env = {**os.environ, "JOURNAL_DATABASE_URL": settings.database_url, "JOURNAL_ENVIRONMENT": "test",
           "JOURNAL_BLOB_DIR": str(settings.resolved_blob_dir()), "JOURNAL_VAR_DIR": str(tmp_path),
           "ARKIV5_REFERENCE_DIR": str(reference_dir())}
    out = tmp_path / "uttrekk"
    code, exported, export_rss, printed = _command(
        "export", "--arkivdel", str(DEFAULT_ARKIVDEL_ID), "--from", f"{YEAR}-01-01", "--to", f"{YEAR}-12-31",
        "--out", str(out), env=env, logs=tmp_path)
    report = json.loads(printed)
    assert code == 0, [f for f in report["findings"] if f["severity"] == "error"][:5]
    code, validated, validate_rss, printed = _command("validate-extraction", str(out), env=env, logs=tmp_path)
    assert code == 0 and json.loads(printed)["valid"] is True
    print(f"\narkivuttrekk {journal.runtime.database.engine.dialect.name}: {count} journalposts; the export process "
          f"(export and its validation, with the process's start) {exported:.1f} s, peak RSS {export_rss / 1024:.0f} MB; "
          f"the validation process {validated:.1f} s, peak RSS {validate_rss / 1024:.0f} MB")
    assert report["counts"]["journalpost"] == count and report["counts"]["dokumentobjekt"] == count
    assert report["counts"]["arkivstruktur.xml:mappe"] == -(-count // PER_CASE)
    assert report["counts"]["endringslogg.xml:endring"] >= count
    assert len(list((out / "dokumenter").iterdir())) == count
