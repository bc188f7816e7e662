"""Arkivuttrekk at volume: many batches, cases and klasser spanning batches, every file valid; time and peak RSS printed.

`ARKIV5_UTTREKK_JOURNALPOSTER` sets the size (default 1,500: three batches and a half);
the figure for docs/exchange.md was taken with 10,000:

    ARKIV5_UTTREKK_JOURNALPOSTER=10000 uv run pytest services/journal/tests/test_uttrekk_volume.py -q -s
"""

from __future__ import annotations

import os
import resource
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
from arkiv5_journal.uttrekk.export import ExportRequest, export_extraction
from arkiv5_journal.uttrekk.validate import validate_extraction

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
            "administrativ_enhet_id": UNIT, "skjerming_metadata": [], **who})
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


async def test_a_large_period_exports_valid_in_batches(journal: Journal, tmp_path: Path) -> None:
    _schemas_or_skip()
    count = int(os.environ.get("ARKIV5_UTTREKK_JOURNALPOSTER", "1500"))
    await _seed(journal, count)
    out = tmp_path / "uttrekk"
    request = ExportRequest(arkivdel_id=DEFAULT_ARKIVDEL_ID, fra=date(YEAR, 1, 1), til=date(YEAR, 12, 31), out=out)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = await export_extraction(journal.runtime.database.engine, journal.app.state.blob_store, request)
    exported = time.perf_counter() - started
    rss_export = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = validate_extraction(out).as_json()
    validated = time.perf_counter() - started - exported
    print(f"\narkivuttrekk {journal.runtime.database.engine.dialect.name}: {count} journalposts exported in "
          f"{exported:.1f} s, validated in {validated:.1f} s; peak RSS {rss_before / 1024:.0f} MB before, "
          f"{rss_export / 1024:.0f} MB after the export, "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB after validation")
    assert report["valid"], [f for f in report["findings"] if f["severity"] == "error"][:5]
    assert result.journalposter == count and result.dokumentfiler == count and result.endringer >= count
    assert report["counts"]["arkivstruktur.xml:mappe"] == -(-count // PER_CASE)
    assert len(list((out / "dokumenter").iterdir())) == count
