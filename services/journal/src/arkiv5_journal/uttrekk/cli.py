"""`arkiv5-journal export …` and `arkiv5-journal validate-extraction DIR`.

Both read the same `JOURNAL_*` settings as the service (its database and document store),
so run them where the service runs. `export` validates what it wrote; both print the
validator's JSON report on stdout and write `valideringsrapport.json` and `.html` beside the
extraction. Exit code 0: valid; 1: findings of severity error; 2: usage or export refused.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from datetime import date
from pathlib import Path
from typing import TextIO
from uuid import UUID

from arkiv5_kit.db import create_engine
from arkiv5_kit.logs import configure_logging

from ..blobstore import FilesystemBlobStore
from ..settings import JournalSettings
from .export import ExportError, ExportRequest, export_extraction
from .validate import Report, validate_extraction

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
    export.add_argument("--out", required=True, type=Path, help="the folder to write (new or empty)")
    export.add_argument("--arkivskaper-id", help="arkivskaperID (default: the arkiv's systemID)")
    export.add_argument("--arkivskaper-navn", help="arkivskaperNavn (default: the arkiv's title)")
    validate = commands.add_parser("validate-extraction", help="validate an extraction folder")
    validate.add_argument("folder", type=Path)
    return parser


def write_reports(report: Report, folder: Path, out: TextIO) -> int:
    document = report.as_json()
    (folder.parent / f"{folder.name}-valideringsrapport.json").write_text(
        json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    (folder.parent / f"{folder.name}-valideringsrapport.html").write_text(report.as_html(), encoding="utf-8")
    out.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    out.flush()
    return EXIT_VALID if report.errors == 0 else EXIT_INVALID


async def _validated(folder: Path) -> Report:
    started = time.perf_counter()
    report = await asyncio.to_thread(validate_extraction, folder)
    log.info("arkivuttrekk validated in %.1f s: %d errors", time.perf_counter() - started, report.errors)
    return report


async def run(args: argparse.Namespace, settings: JournalSettings, out: TextIO) -> int:
    if args.command == "validate-extraction":
        return write_reports(await _validated(args.folder), args.folder, out)
    engine = create_engine(settings.resolved_database_url(), pool_size=2)
    try:
        request = ExportRequest(arkivdel_id=args.arkivdel, fra=args.fra, til=args.til, out=args.out,
                                arkivskaper_id=args.arkivskaper_id, arkivskaper_navn=args.arkivskaper_navn,
                                public_types=settings.public_journal_types,
                                public_statuses=settings.public_journal_statuses)
        started = time.perf_counter()
        result = await export_extraction(engine, FilesystemBlobStore(settings.resolved_blob_dir()), request)
        log.info("arkivuttrekk written in %.1f s: %d journalposts, %d saksmapper, %d document files",
                 time.perf_counter() - started, result.journalposter, result.saksmapper, result.dokumentfiler)
    except (ExportError, LookupError) as error:
        print(f"arkiv5-journal export: {error}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        await engine.dispose()
    return write_reports(await _validated(args.out), args.out, out)


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
