"""`arkiv5-journal import-extraction DIR [--dry-run] [--report FILE] [--batch-size N]`.

Reads the same `JOURNAL_*` settings as the service (its database and document store), so run
it where the service runs, with the journal's schema migrated. Prints the JSON report on
stdout (and writes it to `--report`). Exit code 0: imported (or, with --dry-run, importable);
1: the extraction was refused (validation errors, hostile XML); 2: usage.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import time
from pathlib import Path
from typing import TextIO

from arkiv5_kit.db import create_engine
from arkiv5_kit.logs import configure_logging

from ..blobstore import FilesystemBlobStore
from ..settings import JournalSettings
from .importer import BATCH, ImportRefused, import_extraction

log = logging.getLogger(__name__)
COMMANDS = ("import-extraction",)
EXIT_IMPORTED, EXIT_REFUSED, EXIT_USAGE = 0, 1, 2


def _batch_size(text: str) -> int:
    try:
        size = int(text)
    except ValueError:
        size = 0
    if not 1 <= size <= 10_000:
        raise argparse.ArgumentTypeError("a whole number from 1 to 10000")
    return size


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arkiv5-journal", description="Noark 5 migration import")
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("import-extraction", help="import a Noark 5 v5.0 extraction folder")
    command.add_argument("folder", type=Path)
    command.add_argument("--dry-run", action="store_true", help="check and count everything, write nothing")
    command.add_argument("--report", type=Path, help="also write the JSON report to this file")
    command.add_argument("--batch-size", type=_batch_size, default=BATCH,
                         help=f"journalposts per transaction (default {BATCH})")
    return parser


async def run(args: argparse.Namespace, settings: JournalSettings, out: TextIO) -> int:
    if not args.folder.is_dir():
        print("arkiv5-journal import-extraction: the extraction is not a folder", file=sys.stderr)
        return EXIT_USAGE
    engine = create_engine(settings.resolved_database_url(), pool_size=2)
    started = time.perf_counter()
    try:
        report = await import_extraction(engine, FilesystemBlobStore(settings.resolved_blob_dir()), args.folder,
                                         dry_run=args.dry_run, batch_size=args.batch_size)
    except ImportRefused as refused:
        print(f"arkiv5-journal import-extraction: {refused}", file=sys.stderr)
        return EXIT_REFUSED
    finally:
        await engine.dispose()
    log.info("migrering finished in %.1f s: %s", time.perf_counter() - started, dict(report.imported))
    document = json.dumps(report.as_json(), indent=2, ensure_ascii=False)
    if args.report is not None:
        args.report.write_text(document + "\n", encoding="utf-8")
    out.write(document + "\n")
    out.flush()
    return EXIT_REFUSED if report.refused else EXIT_IMPORTED


def main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    settings = JournalSettings()
    configure_logging(settings.service_name, level=settings.log_level, json_lines=settings.log_json)
    for handler in logging.getLogger().handlers:  # stdout is for the report
        if isinstance(handler, logging.StreamHandler) and getattr(handler, "_arkiv5", False):
            handler.stream = sys.stderr
    return asyncio.run(run(args, settings, sys.stdout))
