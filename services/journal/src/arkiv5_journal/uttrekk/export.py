"""Export an arkivdel and period as a Noark 5 v5.0 extraction folder, streamed, then validate it.

One pass over the period's journalposts (a server-side cursor, in batches) writes
arkivstruktur.xml, loependeJournal.xml and offentligJournal.xml side by side and copies each
document's file into `dokumenter/`; the official schemas are copied in byte for byte; a
second streamed query writes endringslogg.xml; then arkivuttrekk.xml records counts, flags
and checksums. Memory holds one batch at a time.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import mimetypes
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

from lxml import etree
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from arkiv5_kit.db import READ_ONLY
from arkiv5_kit.reference import reference_file

from ..blobstore import CHUNK, BlobStore, FilesystemBlobStore
from ..context import now_utc
from ..models import Klasse, Saksmappe
from . import addml, arkivstruktur, journaler, rows
from .arkivstruktur import Counts, DocumentFile
from .rows import Period, Record
from .xml import ARKIVSTRUKTUR, ENDRINGSLOGG, LOEPENDE, OFFENTLIG, SCHEMA_DIR, SCHEMAS, XSI

log = logging.getLogger(__name__)


class ExportError(Exception):
    """The extraction could not be written (nothing in the period, a document file that does not match)."""


@dataclass(frozen=True)
class ExportRequest:
    arkivdel_id: UUID
    fra: date
    til: date
    out: Path
    arkivskaper_id: str | None = None
    arkivskaper_navn: str | None = None
    public_types: Sequence[str] = ("I", "U", "N")
    public_statuses: Sequence[str] = ("J", "E", "A")
    on_progress: Callable[[int, int], Awaitable[None]] | None = field(default=None, compare=False)
    """Told (journalposts written, of total) after each batch: the API job's progress."""
    on_structure_written: Callable[[Path], None] | None = field(default=None, compare=False)
    """Told once arkivstruktur.xml, the journals, the document files and the schemas are in the folder,
    before the change log and arkivuttrekk.xml are written: arkivstruktur.xml's check can start
    (`validate.StructureCheck`)."""


@dataclass(frozen=True)
class ExportResult:
    out: Path
    journalposter: int
    saksmapper: int
    dokumentfiler: int
    endringer: int


def schema_dir() -> Path:
    """The folder of the official schemas, each checked against the reference manifest."""
    paths = [reference_file(SCHEMA_DIR + name) for name in SCHEMAS]
    return paths[0].parent


def _extension(objekt: Record) -> str:
    if objekt.filnavn and "." in objekt.filnavn:
        suffix = "." + objekt.filnavn.rsplit(".", 1)[1].lower()
        if suffix.isascii() and suffix[1:].isalnum() and len(suffix) <= 10:
            return suffix
    return mimetypes.guess_extension(objekt.format) or ".bin"


def _copy_file(source: Path, file: DocumentFile, out: Path) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as reader, (out / file.path).open("wb") as target:
        while chunk := reader.read(CHUNK):
            digest.update(chunk)
            target.write(chunk)
    return _checked(digest.hexdigest(), file)


def _checked(sha256: str, file: DocumentFile) -> str:
    if sha256 != file.objekt.sjekksum:
        raise ExportError(f"the stored file of dokumentobjekt {file.objekt.system_id} does not match its checksum")
    return sha256


async def _copy(blobs: BlobStore, files: list[DocumentFile], out: Path) -> list[str]:
    """Copy a batch's document files, each checked against its dokumentobjekt's checksum.

    From the filesystem store the whole batch is copied in one worker thread; another store
    streams each file.
    """
    if isinstance(blobs, FilesystemBlobStore):
        store = blobs
        return await asyncio.to_thread(lambda: [_copy_file(store.path_of(f.objekt.sjekksum), f, out) for f in files])
    sums = []
    for file in files:
        digest = hashlib.sha256()
        with (out / file.path).open("wb") as target:
            async for chunk in blobs.open_stream(file.objekt.sjekksum):
                digest.update(chunk)
                target.write(chunk)
        sums.append(_checked(digest.hexdigest(), file))
    return sums


class _Nesting:
    """The open klassifikasjonssystem, klasse and saksmappe elements of arkivstruktur.xml."""

    def __init__(self, xf: Any, system: Any) -> None:
        self.xf, self.system = xf, system
        self.system_open: ExitStack | None = None
        self.klasse: ExitStack | None = None
        self.klasse_id: UUID | None = None
        self.mappe: ExitStack | None = None
        self.saksmappe: Saksmappe | None = None

    def close_mappe(self) -> None:
        if self.mappe is not None and self.saksmappe is not None:
            arkivstruktur.mappe_tail(self.xf, self.saksmappe)
            self.mappe.close()
        self.mappe, self.saksmappe = None, None

    def enter(self, saksmappe: Saksmappe, klasse: Klasse | None, details: rows.Details, counts: Counts) -> None:
        if self.saksmappe is not None and self.saksmappe.system_id == saksmappe.system_id:
            return
        self.close_mappe()
        key = arkivstruktur.klasse_key(klasse)
        if self.klasse is not None and key != self.klasse_id:
            self.klasse.close()
            self.klasse = None
        if klasse is None and self.system_open is not None:
            self.system_open.close()
            self.system_open = None
        if klasse is not None and self.klasse is None:
            if self.system_open is None:
                self.system_open = ExitStack()
                self.system_open.enter_context(self.xf.element(f"{{{ARKIVSTRUKTUR}}}klassifikasjonssystem"))
                arkivstruktur.system_head(self.xf, self.system)
            self.klasse = ExitStack()
            self.klasse.enter_context(self.xf.element(f"{{{ARKIVSTRUKTUR}}}klasse"))
            arkivstruktur.klasse_head(self.xf, klasse)
            self.klasse_id = key
        self.mappe = ExitStack()
        self.mappe.enter_context(self.xf.element(f"{{{ARKIVSTRUKTUR}}}mappe", {f"{{{XSI}}}type": "saksmappe"}))
        self.saksmappe = saksmappe
        arkivstruktur.mappe_head(self.xf, saksmappe, details, counts)
        counts.mappe += 1

    def close(self) -> None:
        self.close_mappe()
        self.abandon()

    def abandon(self) -> None:
        """Close what is open, innermost first (after a failure, so the writer's own exit is the one reported)."""
        for stack in (self.mappe, self.klasse, self.system_open):
            if stack is not None:
                stack.close()
        self.mappe = self.klasse = self.system_open = None


async def export_extraction(engine: AsyncEngine, blobs: BlobStore, request: ExportRequest) -> ExportResult:
    """Write the extraction folder `request.out` (which must not exist or be empty)."""
    out = request.out
    if out.exists() and any(out.iterdir()):
        raise ExportError("the output folder is not empty")
    schemas = schema_dir()
    engine = engine.execution_options(**{READ_ONLY: True})  # on SQLite: readers beside the writers, not behind them
    (out / "dokumenter").mkdir(parents=True, exist_ok=True)
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    period = Period(request.arkivdel_id, request.fra, request.til)
    now = now_utc()
    async with sessions() as lookup:
        arkiv, arkivdel, system = await rows.structure(lookup, request.arkivdel_id)
        total = await rows.count_journalposts(lookup, period)
        public = await rows.count_journalposts(lookup, period, types=request.public_types,
                                               statuses=request.public_statuses)
        classified = system is not None and await rows.has_classified_case(lookup, period)
    if total == 0:
        raise ExportError("the arkivdel has no journalpost in the period")
    work = Path(tempfile.mkdtemp(prefix="arkivuttrekk-"))
    try:
        return await _write(engine, blobs, request, work / "dokumenter.tsv", schemas, period, now,
                            (arkiv, arkivdel, system), (total, public),
                            arkivstruktur.unclassified(system, now) if classified and system else None)
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _write(engine: AsyncEngine, blobs: BlobStore, request: ExportRequest, documents: Path, schemas: Path,
                 period: Period, now: Any, structure: tuple[Any, Any, Any], totals: tuple[int, int],
                 fallback: Klasse | None) -> ExportResult:
    arkiv, arkivdel, system = structure
    total, public = totals
    out = request.out
    counts = Counts()
    sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
    skaper = (request.arkivskaper_id or str(arkiv.system_id), request.arkivskaper_navn or arkiv.tittel)
    with ExitStack() as files:
        documents_list = files.enter_context(documents.open("w", encoding="utf-8"))
        xf = files.enter_context(etree.xmlfile(str(out / "arkivstruktur.xml"), encoding="utf-8"))
        lj = files.enter_context(etree.xmlfile(str(out / "loependeJournal.xml"), encoding="utf-8"))
        # The schema demands at least one journalregistrering: without a public entry there is no file.
        oj = files.enter_context(etree.xmlfile(str(out / "offentligJournal.xml"), encoding="utf-8")) if public else None
        for writer in (xf, lj, oj):
            if writer is not None:
                writer.write_declaration()
        files.enter_context(xf.element(f"{{{ARKIVSTRUKTUR}}}arkiv", nsmap={None: ARKIVSTRUKTUR, "xsi": XSI}))
        arkivstruktur.head(xf, arkiv, arkivdel, period, now=now, arkivskaper=skaper)
        files.enter_context(xf.element(f"{{{ARKIVSTRUKTUR}}}arkivdel"))
        arkivstruktur.arkivdel_head(xf, arkivdel, period, now=now)
        files.enter_context(lj.element(f"{{{LOEPENDE}}}loependeJournal", nsmap={None: LOEPENDE}))
        lj.write(journaler.journalhode(journaler.L, request.fra, request.til, total, skaper))
        if oj is not None:
            files.enter_context(oj.element(f"{{{OFFENTLIG}}}offentligJournal", nsmap={None: OFFENTLIG}))
            oj.write(journaler.journalhode(journaler.O, request.fra, request.til, public, skaper))
        nesting = _Nesting(xf, system)
        files.callback(nesting.abandon)
        written = 0
        async with sessions() as stream, sessions() as detail:
            async for batch in rows.journalposts(stream, period):
                await _batch(batch, detail, nesting, counts, lj, oj, request, fallback)
                for file, sha256 in zip(counts.files, await _copy(blobs, counts.files, out), strict=True):
                    documents_list.write(f"{file.path}\t{sha256}\n")
                counts.files.clear()
                written += len(batch)
                log.info("arkivuttrekk: %d of %d journalposts written", written, total)
                if request.on_progress is not None:
                    await request.on_progress(written, total)
        nesting.close()
    for name in SCHEMAS:
        shutil.copyfile(schemas / name, out / name)
    if request.on_structure_written is not None:
        request.on_structure_written(out)
    changes = await _endringslogg(sessions, period, out)
    listed = {"arkivstruktur.xml": ("", {"mappe": counts.mappe, "registrering": counts.registrering,
                                         "dokumentbeskrivelse": counts.dokumentbeskrivelse,
                                         "dokumentobjekt": counts.dokumentobjekt}),
              "endringslogg.xml": ("", {"endring": changes}),
              "loependeJournal.xml": ("", {"journalregistrering": total}),
              "offentligJournal.xml": ("", {"journalregistrering": public})}
    about = addml.Description(
        arkivskaper=skaper[1], archive=arkiv.tittel, start=request.fra, end=request.til,
        flags={addml.FLAG_SCREENED: counts.skjerming > 0}, document_files=counts.dokumentobjekt,
        files={name: value for name, value in listed.items() if (out / name).is_file()})
    addml.write(out, about, schemas=schemas, documents=_document_lines(documents))
    return ExportResult(out=out, journalposter=total, saksmapper=counts.mappe, dokumentfiler=counts.dokumentobjekt,
                        endringer=changes)


def _document_lines(path: Path) -> Iterator[tuple[str, str]]:
    with path.open(encoding="utf-8") as lines:
        for line in lines:
            name, sha256 = line.rstrip("\n").split("\t")
            yield name, sha256


async def _batch(batch: Sequence[Record], session: AsyncSession, nesting: _Nesting, counts: Counts, lj: Any,
                 oj: Any | None, request: ExportRequest, fallback: Klasse | None) -> None:
    cases = await rows.cases(session, list({j.saksmappe_id for j in batch}))
    posts = [(j, *cases[j.saksmappe_id]) for j in batch]
    details = await rows.details(session, [j.system_id for j in batch], list(cases))
    for journalpost, saksmappe, klasse in posts:
        nesting.enter(saksmappe, klasse or fallback, details, counts)
        nesting.xf.write(arkivstruktur.registrering(journalpost, details, counts, _extension))
        lj.write(journaler.loepende(journalpost, saksmappe, klasse, details))
    if oj is not None:
        for entry in await journaler.offentlige(session, posts, details, types=request.public_types,
                                                statuses=request.public_statuses):
            oj.write(entry)
    session.expunge_all()


async def _endringslogg(sessions: async_sessionmaker[AsyncSession], period: Period, out: Path) -> int:
    """Write endringslogg.xml; without a change in the period there is no file (the schema demands one endring)."""
    written = 0
    with ExitStack() as opened:
        xf: Any = None
        async with sessions() as session:
            async for batch in rows.changes(session, period):
                if xf is None and batch:
                    xf = opened.enter_context(etree.xmlfile(str(out / "endringslogg.xml"), encoding="utf-8"))
                    xf.write_declaration()
                    opened.enter_context(xf.element(f"{{{ENDRINGSLOGG}}}endringslogg", nsmap={None: ENDRINGSLOGG}))
                for row in batch:
                    xf.write(journaler.endring(row))
                written += len(batch)
    return written
