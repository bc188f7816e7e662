"""Import another system's Noark 5 v5.0 extraction: validated first, then written in batches, resumable.

1. The validator (uttrekk/validate.py) checks the folder; an extraction with findings of
   severity error is refused whole, with those findings, and nothing is written.
2. arkivstruktur.xml is read one saksmappe at a time (parse.py); saksmapper are gathered
   until a batch holds about `batch_size` journalposts, and each batch is one transaction:
   the archive structure it needs, its new saksmapper, its new journalposts with their
   parties, documents, avskrivninger and remarks (through store/imports.py and the bulk
   writer), and the number series raised so numbering continues after the highest
   imported number per year. Document files are streamed into the document store, their
   SHA-256 checked against the dokumentobjekt, before the rows that name them commit.
3. endringslogg.xml follows, in batches of the same size.

A record whose systemID the journal holds already is skipped, so an import killed at any
point and run again writes the rest and nothing twice (a batch commits whole or not at all).
A saksmappe or journalpost whose number another record holds is refused, with the reason.
A dry run reads and checks everything the same way and writes nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.orm import configure_mappers

from ..blobstore import CHUNK, BlobStore, BlobTooLarge
from ..domain.numbering import JOURNALNUMMER, SAKSNUMMER
from ..models import (
    Dokumentbeskrivelse,
    Dokumentobjekt,
    Endringslogg,
    Fordeling,
    Journalpost,
    Korrespondansepart,
    Saksmappe,
)
from ..store import bulk, imports
from ..uttrekk.validate import validate_extraction
from . import parse
from .parse import Refused
from .records import Mappe, Post, with_values

log = logging.getLogger(__name__)
BATCH = 500
MAX_FILE_BYTES = 64 << 30
LISTED = 1000
"""At most this many skipped or refused records are named in the report (all are counted)."""


@dataclass
class ImportReport:
    extraction: str
    dry_run: bool
    refused: bool = False
    validation: dict[str, Any] = field(default_factory=dict)
    imported: Counter[str] = field(default_factory=Counter)
    already_imported: Counter[str] = field(default_factory=Counter)
    skipped: list[dict[str, str]] = field(default_factory=list)
    refused_records: list[dict[str, str]] = field(default_factory=list)
    refused_count: int = 0
    skipped_count: int = 0

    def skip(self, system_id: str, reason: str) -> None:
        self.skipped_count += 1
        if len(self.skipped) < LISTED:
            self.skipped.append({"systemID": system_id, "reason": reason})

    def refuse(self, system_id: str, reason: str) -> None:
        self.refused_count += 1
        if len(self.refused_records) < LISTED:
            self.refused_records.append({"systemID": system_id, "reason": reason})

    def as_json(self) -> dict[str, Any]:
        return {"extraction": self.extraction, "dryRun": self.dry_run, "refused": self.refused,
                "validation": self.validation, ("wouldImport" if self.dry_run else "imported"): dict(self.imported),
                "alreadyImported": dict(self.already_imported),
                "skipped": {"count": self.skipped_count, "records": self.skipped},
                "refusedRecords": {"count": self.refused_count, "records": self.refused_records}}


class ImportRefused(Exception):
    """The extraction cannot be imported (a hostile file); nothing was written."""


def _validation(folder: Path) -> tuple[dict[str, Any], bool]:
    document = validate_extraction(folder).as_json()
    summary = {"valid": document["valid"], "summary": document["summary"],
               "errors": [f for f in document["findings"] if f["severity"] == "error"]}
    return summary, bool(document["valid"])


async def import_extraction(engine: AsyncEngine, blobs: BlobStore, folder: Path, *, dry_run: bool = False,
                            batch_size: int = BATCH, validate: bool = True) -> ImportReport:
    """Import the extraction folder; the report says what was (or would be) imported, skipped and refused."""
    report = ImportReport(extraction=folder.name, dry_run=dry_run)
    # Records are built with model_construct, which needs the mappers set up (a query would do it, but
    # in a fresh process the first record is built before the first query).
    configure_mappers()
    if validate:
        report.validation, valid = await asyncio.to_thread(_validation, folder)
        if not valid:
            report.refused = True
            return report
    importer = _Importer(async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False), blobs, folder,
                         report, dry_run)
    try:
        await _in_batches(parse.mapper(folder / "arkivstruktur.xml"), batch_size, importer.write_mapper,
                          lambda m: max(1, len(m.poster)), report)
        # endringslogg.xml is optional: an extraction without a change in its period has none (N5_61).
        if (folder / "endringslogg.xml").is_file():
            await _in_batches(parse.changes(folder / "endringslogg.xml"), batch_size, importer.write_changes,
                              lambda _c: 1, report)
    except parse.HostileXml as hostile:
        raise ImportRefused(str(hostile)) from None
    return report


async def _in_batches(items: Any, size: int, write: Callable[[list[Any]], Awaitable[None]],
                      weight: Callable[[Any], int], report: ImportReport) -> None:
    batch: list[Any] = []
    held = 0
    for item in items:
        if isinstance(item, Refused):
            report.refuse(item.system_id, item.reason)
            continue
        batch.append(item)
        held += weight(item)
        if held >= size:
            await write(batch)
            batch, held = [], 0
    if batch:
        await write(batch)


class _Importer:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], blobs: BlobStore, folder: Path,
                 report: ImportReport, dry_run: bool) -> None:
        self.sessions, self.blobs, self.folder, self.report, self.dry_run = sessions, blobs, folder, report, dry_run
        self.structure_known: set[UUID] = set()
        self.written = 0

    async def write_mapper(self, batch: list[Mappe]) -> None:
        report = self.report
        async with self.sessions() as session:
            await self._structure(session, batch)
            known_cases = await imports.existing(session, Saksmappe, [m.saksmappe.system_id for m in batch])
            known_posts = await imports.existing(session, Journalpost,
                                                 [p.journalpost.system_id for m in batch for p in m.poster])
            cases, posts = await self._accepted(session, batch, known_cases, known_posts)
            posts = [p for p in posts if await self._documents(p)]
            for mappe in batch:
                for system_id, reason in mappe.skipped:
                    report.skip(system_id, reason)
            report.already_imported["saksmapper"] += len(known_cases)
            report.already_imported["journalposter"] += len(known_posts)
            await self._write(session, cases, posts)
            await (session.rollback() if self.dry_run else session.commit())
        self.written += len(posts)
        log.info("migrering: batch committed, %d journalposts in this run", self.written)

    async def _structure(self, session: AsyncSession, batch: list[Mappe]) -> None:
        new = {r.system_id: r for m in batch for r in m.structure if r.system_id not in self.structure_known}
        if not new:
            return
        if self.dry_run:
            known: set[UUID] = set()
            for model in imports.STRUCTURE:
                known |= await imports.existing(session, model, [r.system_id for r in new.values()
                                                                 if isinstance(r, model)])
            self.report.imported["arkivstruktur"] += len(new) - len(known)
        else:
            self.report.imported["arkivstruktur"] += await imports.write_structure(session, list(new.values()))
        self.structure_known |= set(new)

    async def _accepted(self, session: AsyncSession, batch: list[Mappe], known_cases: set[UUID],
                        known_posts: set[UUID]) -> tuple[list[Mappe], list[tuple[Post, Saksmappe]]]:
        """The batch's new saksmapper and journalposts whose numbers are free (refused otherwise)."""
        new_cases = [m for m in batch if m.saksmappe.system_id not in known_cases]
        taken = await imports.taken_case_numbers(
            session, [(m.saksmappe.saksaar, m.saksmappe.sakssekvensnummer) for m in new_cases])
        cases, refused_cases = [], set()
        for mappe in new_cases:
            number = (mappe.saksmappe.saksaar, mappe.saksmappe.sakssekvensnummer)
            if number in taken:
                self.report.refuse(str(mappe.saksmappe.system_id), "saksaar/sakssekvensnummer held by another saksmappe")
                refused_cases.add(mappe.saksmappe.system_id)
            else:
                taken[number] = mappe.saksmappe.system_id
                cases.append(mappe)
        candidates = [(p, m.saksmappe) for m in batch if m.saksmappe.system_id not in refused_cases
                      for p in m.poster if p.journalpost.system_id not in known_posts]
        for mappe in batch:
            if mappe.saksmappe.system_id in refused_cases:
                for post in mappe.poster:
                    self.report.refuse(str(post.journalpost.system_id), "its saksmappe was refused")
        numbers = await imports.taken_journal_numbers(
            session, [(p.journalpost.journalaar, p.journalpost.journalsekvensnummer or 0) for p, _ in candidates])
        posts = []
        for post, saksmappe in candidates:
            number = (post.journalpost.journalaar, post.journalpost.journalsekvensnummer or 0)
            if number in numbers:
                self.report.refuse(str(post.journalpost.system_id),
                                   "journalaar/journalsekvensnummer held by another journalpost")
            else:
                numbers[number] = post.journalpost.system_id
                posts.append((post, saksmappe))
        return cases, posts

    async def _documents(self, entry: tuple[Post, Saksmappe]) -> bool:
        """Stream the journalpost's document files into the store, each checked; False refuses the journalpost."""
        post = entry[0]
        for dokument in post.dokumenter:
            for objekt, reference in dokument.objekter:
                path = (self.folder / reference).resolve()
                if self.folder.resolve() not in path.parents or not path.is_file():
                    self.report.refuse(str(post.journalpost.system_id), "a referenced document file does not exist")
                    return False
                if self.dry_run or await self.blobs.exists(objekt.sjekksum):
                    continue  # the store is content-addressed: the same SHA-256 is the same bytes
                if not await self._store(path, objekt):
                    self.report.refuse(str(post.journalpost.system_id),
                                       "a document file's SHA-256 differs from its dokumentobjekt's sjekksum")
                    return False
        return True

    async def _store(self, path: Path, objekt: Dokumentobjekt) -> bool:
        writer = self.blobs.writer(max_bytes=MAX_FILE_BYTES)
        try:
            with path.open("rb") as source:
                while chunk := source.read(CHUNK):
                    await writer.write(chunk)
            stored = await writer.commit()
        except (BlobTooLarge, OSError):
            writer.discard()
            return False
        return stored.sha256 == objekt.sjekksum

    async def _write(self, session: AsyncSession, cases: list[Mappe], posts: list[tuple[Post, Saksmappe]]) -> None:
        values = bulk.values
        rows: dict[Any, list[dict[str, Any]]] = {
            Journalpost: [values(p.journalpost) for p, _ in posts],
            Korrespondansepart: [values(k) for p, _ in posts for k in p.parts], Fordeling: [],
            Dokumentbeskrivelse: [values(d.beskrivelse) for p, _ in posts for d in p.dokumenter],
            Dokumentobjekt: [values(o) for p, _ in posts for d in p.dokumenter for o, _ in d.objekter],
            Endringslogg: []}
        avskrivninger = await self._avskrivninger(session, posts)
        counts = self.report.imported
        counts["saksmapper"] += len(cases)
        counts["journalposter"] += len(posts)
        for model, name in ((Korrespondansepart, "korrespondanseparter"),
                            (Dokumentbeskrivelse, "dokumentbeskrivelser"), (Dokumentobjekt, "dokumentobjekter")):
            counts[name] += len(rows[model])
        if self.dry_run:
            return
        await imports.write_cases(session, [m.saksmappe for m in cases], [p for m in cases for p in m.parts],
                                  [r for m in cases for r in m.merknader])
        await imports.write_registrations(session, rows, [(p.journalpost, s, p.parts) for p, s in posts],
                                          avskrivninger, [r for p, _ in posts for r in p.merknader])
        await imports.raise_series(session, SAKSNUMMER, _highest(
            (m.saksmappe.saksaar, m.saksmappe.sakssekvensnummer) for m in cases))
        await imports.raise_series(session, JOURNALNUMMER, _highest(
            (p.journalpost.journalaar, p.journalpost.journalsekvensnummer or 0) for p, _ in posts))

    async def _avskrivninger(self, session: AsyncSession, posts: list[tuple[Post, Saksmappe]]) -> list[Any]:
        """Avskrivninger whose answering journalpost is in the journal or this batch; a reference to one
        not (yet) imported is dropped and said in the report (the avskrivning itself is kept)."""
        found = [a for p, _ in posts for a in p.avskrivninger]
        here = {p.journalpost.system_id for p, _ in posts}
        wanted = {a.referanse_avskrives_av_journalpost for a in found} - here - {None}
        present = here | await imports.existing(session, Journalpost, [w for w in wanted if w is not None])
        kept = []
        for avskrivning in found:
            reference = avskrivning.referanse_avskrives_av_journalpost
            if reference is not None and reference not in present:
                avskrivning = with_values(avskrivning, referanse_avskrives_av_journalpost=None)
                self.report.skip(str(avskrivning.journalpost_id),
                                 "referanseAvskrivesAvJournalpost names a journalpost not imported before it")
            kept.append(avskrivning)
        return kept

    async def write_changes(self, batch: list[Endringslogg]) -> None:
        await self._write_changes(batch)
        log.info("migrering: batch committed, %d changes", len(batch))

    async def _write_changes(self, batch: list[Endringslogg]) -> None:
        async with self.sessions() as session:
            known = await imports.existing(session, Endringslogg, [c.id for c in batch])
            kinds = await imports.arkivenhet_types(session, [c.referanse_arkivenhet for c in batch])
            new = [with_values(c, arkivenhet_type=kinds.get(c.referanse_arkivenhet, "arkivenhet"))
                   for c in batch if c.id not in known]
            self.report.already_imported["endringer"] += len(known)
            self.report.imported["endringer"] += len(new)
            if not self.dry_run:
                await imports.write_changes(session, new)
            await (session.rollback() if self.dry_run else session.commit())


def _highest(numbers: Any) -> dict[int, int]:
    highest: dict[int, int] = {}
    for aar, nummer in numbers:
        highest[aar] = max(highest.get(aar, 0), nummer)
    return highest
