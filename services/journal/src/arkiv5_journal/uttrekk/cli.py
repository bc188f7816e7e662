"""`arkiv5-journal export …` and `arkiv5-journal validate-extraction DIR`.

Both read the same `JOURNAL_*` settings as the service (its database and document store),
so run them where the service runs. `export` validates what it wrote; both print the
validator's JSON report on stdout and write `valideringsrapport.json` and `.html` beside the
extraction. `export --tar FILE` writes one tar instead of a folder (`--tar -`: the tar on
stdout, the report on stderr); `validate-extraction` takes a folder or a tar. Exit code 0:
valid; 1: findings of severity error; 2: usage or export refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tarfile
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import BinaryIO, TextIO
from uuid import UUID

from arkiv5_kit.logs import configure_logging

from ..settings import JournalSettings
from .tarball import TarRefused, extract_tar, write_tar
from .validate import Report, StructureCheck, validate_extraction

log = logging.getLogger(__name__)
COMMANDS = ("export", "validate-extraction")
EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arkiv5-journal", description="Noark 5 arkivuttrekk")
    commands = parser.add_subparsers(dest="command", required=True)
    export = commands.add_parser("export", help="write an arkivdel's period as an extraction folder, then validate it")
    export.add_argument("--arkivdel", required=True, type=UUID, help="the arkivdel's systemID")
    export.add_argument("--from", dest="fra", required=True, type=_date, help="first journaldato (YYYY-MM-DD)")
    export.add_argument("--to", dest="til", required=True, type=_date, help="last journaldato (YYYY-MM-DD)")
    target = export.add_mutually_exclusive_group(required=True)
    target.add_argument("--out", type=Path, help="the folder to write (new or empty)")
    target.add_argument("--tar", help="the tar file to write (new), or - for stdout; streamed, the folder is "
                        "written to a working folder beside it first")
    export.add_argument("--arkivskaper-id", help="arkivskaperID (default: the arkiv's systemID)")
    export.add_argument("--arkivskaper-navn", help="arkivskaperNavn (default: the arkiv's title)")
    validate = commands.add_parser("validate-extraction", help="validate an extraction folder or tar")
    validate.add_argument("folder", type=Path, help="the extraction's folder, or a tar of it")
    return parser


def write_reports(report: Report, folder: Path | None, out: TextIO) -> int:
    """The JSON report on `out`; both reports beside `folder` (named after it), unless it is None."""
    document = report.as_json()
    if folder is not None:
        (folder.parent / f"{folder.name}-valideringsrapport.json").write_text(
            json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
        (folder.parent / f"{folder.name}-valideringsrapport.html").write_text(report.as_html(), encoding="utf-8")
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    out.flush()
    return EXIT_VALID if report.errors == 0 else EXIT_INVALID


async def _validated(folder: Path, early: StructureCheck | None = None) -> Report:
    started = time.perf_counter()
    report = await asyncio.to_thread(validate_extraction, folder, early)
    log.info("arkivuttrekk validated in %.1f s: %d errors", time.perf_counter() - started, report.errors)
    return report


def tar_stem(name: str) -> str:
    """`uttrekk-2025.tar` → `uttrekk-2025`: the tar's top folder and its reports' name."""
    for suffix in (".tar.gz", ".tgz", ".tar"):
        if name.endswith(suffix):
            return name.removesuffix(suffix) or "arkivuttrekk"
    return name or "arkivuttrekk"


async def validate_tar(path: Path) -> Report:
    """A tar's extraction validated: unpacked safely into a working folder beside it, removed afterwards."""
    work = Path(tempfile.mkdtemp(prefix=".arkivuttrekk-", dir=path.parent))
    try:
        try:
            folder = await asyncio.to_thread(extract_tar, path, work)
        except (TarRefused, tarfile.TarError) as error:
            report = Report(extraction=str(path))
            report.add("XML", f"the tar is refused: {error}", file=path.name)
            return report
        report = await _validated(folder)
        report.extraction = str(path)
        return report
    finally:
        shutil.rmtree(work, ignore_errors=True)


async def _validate(path: Path, out: TextIO) -> int:
    if path.is_file():
        return write_reports(await validate_tar(path), path.parent / tar_stem(path.name), out)
    return write_reports(await _validated(path), path, out)


async def run(args: argparse.Namespace, settings: JournalSettings, out: TextIO,
              binary: BinaryIO | None = None) -> int:
    """One command; `binary` is where `export --tar -` streams the tar (stdout's bytes by default)."""
    if args.command == "validate-extraction":
        return await _validate(args.folder, out)
    if args.tar is not None:
        return await _export_tar(args, settings, out, binary or sys.stdout.buffer)
    return await _export(args, args.out, settings, out)


async def _export_tar(args: argparse.Namespace, settings: JournalSettings, out: TextIO, binary: BinaryIO) -> int:
    to_stdout = args.tar == "-"
    target = None if to_stdout else Path(args.tar)
    if target is not None and target.exists():
        print(f"arkiv5-journal export: {target.name} exists; not overwritten", file=sys.stderr)
        return EXIT_USAGE
    top = "arkivuttrekk" if target is None else tar_stem(target.name)
    work = Path(tempfile.mkdtemp(prefix=".arkivuttrekk-", dir=None if target is None else target.parent))
    early = StructureCheck()
    try:
        folder = work / top
        code = await _write(args, folder, settings, early)
        if code == EXIT_USAGE:
            return code
        report = await _validated(folder, early)
        report.extraction = args.tar
        if target is None:
            await asyncio.to_thread(write_tar, folder, binary, top)
            binary.flush()
            return write_reports(report, None, sys.stderr)
        partial = target.with_name(target.name + ".partial")
        with partial.open("wb") as handle:
            await asyncio.to_thread(write_tar, folder, handle, top)
        partial.replace(target)
        return write_reports(report, target.parent / top, out)
    finally:
        early.close()
        shutil.rmtree(work, ignore_errors=True)


async def _export(args: argparse.Namespace, folder: Path, settings: JournalSettings, out: TextIO) -> int:
    """Write the extraction folder, validate it and write the reports."""
    early = StructureCheck()
    try:
        code = await _write(args, folder, settings, early)
        if code == EXIT_USAGE:
            return code
        return write_reports(await _validated(folder, early), folder, out)
    finally:
        early.close()


async def _write(args: argparse.Namespace, folder: Path, settings: JournalSettings, early: StructureCheck) -> int:
    """Write the extraction folder (EXIT_VALID, or EXIT_USAGE if the export is refused); `early` is
    started on arkivstruktur.xml as soon as that is written, while the rest is."""
    # Imported here: the database layer and the visibility rules cost seconds of start-up that
    # validate-extraction, which reads only the folder, does not need.
    from arkiv5_kit.db import create_engine

    from ..blobstore import FilesystemBlobStore
    from .export import ExportError, ExportRequest, export_extraction

    engine = create_engine(settings.resolved_database_url(), pool_size=2)
    try:
        request = ExportRequest(arkivdel_id=args.arkivdel, fra=args.fra, til=args.til, out=folder,
                                arkivskaper_id=args.arkivskaper_id, arkivskaper_navn=args.arkivskaper_navn,
                                public_types=settings.public_journal_types,
                                public_statuses=settings.public_journal_statuses,
                                on_structure_written=lambda written: _start(early, written, args))
        started = time.perf_counter()
        result = await export_extraction(engine, FilesystemBlobStore(settings.resolved_blob_dir()), request)
        log.info("arkivuttrekk written in %.1f s: %d journalposts, %d saksmapper, %d document files",
                 time.perf_counter() - started, result.journalposter, result.saksmapper, result.dokumentfiler)
    except (ExportError, LookupError) as error:
        print(f"arkiv5-journal export: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        await engine.dispose()
    return EXIT_VALID


def _start(early: StructureCheck, folder: Path, args: argparse.Namespace) -> None:
    early.start(folder, args.fra, args.til)
    log.info("arkivuttrekk: arkivstruktur.xml written, its check started beside the rest of the writing")


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    if args.command == "export" and args.til < args.fra:
        parser().error("--to is before --from")
    settings = JournalSettings()
    configure_logging(settings.service_name, level=settings.log_level, json_lines=settings.log_json)
    for handler in logging.getLogger().handlers:  # stdout is for the report
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "_arkiv5", False):
            handler.stream = sys.stderr
    return asyncio.run(run(args, settings, sys.stdout))
