"""The service's command line: `arkiv5-conversion serve|migrate|batch …`.

`batch run` runs the nightly batch now, in this process, for yesterday (as the schedule
does), one J date (`--date`) or a range (`--from`, `--to`), through the same use case as
`POST /internal/batches`; its progress goes to the log (stderr), and when it ends it prints
each date's status as `GET /internal/batches/{date}` answers it. `batch status [DATE]`
prints one batch's status, or the latest batches'. The command reads the same
`CONVERSION_*` settings as the service (its database, the journal and the client
credentials), so run it where the service runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any, TextIO

from fastapi import FastAPI

from arkiv5_kit.cli import run_service_cli
from arkiv5_kit.errors import Unprocessable
from arkiv5_kit.logs import configure_logging

from .app import create_app
from .service import ConversionService
from .settings import ConversionSettings

EXIT_DONE, EXIT_NOT_CLEAN, EXIT_USAGE = 0, 1, 2


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def batch_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arkiv5-conversion batch",
                                     description="The nightly conversion batch in hand")
    actions = parser.add_subparsers(dest="action", required=True)
    run = actions.add_parser("run", help="run the batch now (default: yesterday's J date, as the schedule does)")
    which = run.add_mutually_exclusive_group()
    which.add_argument("--date", type=_date, help="one J date (local, YYYY-MM-DD)")
    which.add_argument("--from", dest="first", type=_date, help="the first J date of a range")
    run.add_argument("--to", dest="last", type=_date, help="the last J date of the range (with --from)")
    status = actions.add_parser("status", help="how far a batch got (default: the latest batches)")
    status.add_argument("j_date", nargs="?", type=_date, help="the batch's J date (YYYY-MM-DD)")
    status.add_argument("--limit", type=int, default=14, help="how many of the latest batches (default 14)")
    return parser


def main(argv: list[str] | None = None, *, make_app: Callable[[ConversionSettings], FastAPI] = create_app) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if not argv or argv[0] != "batch":
        run_service_cli(ConversionSettings, create_app, argv)
        return EXIT_DONE
    parser = batch_parser()
    args = parser.parse_args(argv[1:])
    if args.action == "run" and args.last is not None and args.first is None:
        parser.error("--to needs --from")
    settings = ConversionSettings()
    configure_logging(settings.service_name, level=settings.log_level, json_lines=settings.log_json)
    _log_to_stderr()  # stdout is for the answer
    return asyncio.run(run_command(args, make_app(settings)))


def _log_to_stderr() -> None:
    for handler in logging.getLogger().handlers:
        if getattr(handler, "_arkiv5", False) and isinstance(handler, logging.StreamHandler):
            handler.stream = sys.stderr


async def run_command(args: argparse.Namespace, app: FastAPI, out: TextIO | None = None) -> int:
    """`batch run` or `batch status` on a built (not started) app; returns the exit code."""
    out = out or sys.stdout
    conversion: ConversionService = app.state.conversion
    try:
        if args.action == "status":
            if args.j_date is not None:
                _print(out, await conversion.batch_status(args.j_date))
            else:
                _print(out, {"items": await conversion.recent_batches(args.limit)})
            return EXIT_DONE
        first = args.date or args.first or _yesterday(conversion)
        try:
            days = conversion.batch_days(first, args.last if args.first else None)
        except Unprocessable as error:
            print(f"arkiv5-conversion batch run: {error.detail}", file=sys.stderr)
            return EXIT_USAGE
        await conversion.run_batches(days)
        statuses = [await conversion.batch_status(day) for day in days]
        _print(out, {"items": statuses})
        clean = all(s["status"] == "done" and _documents(s)["failed"] == 0 for s in statuses)
        return EXIT_DONE if clean else EXIT_NOT_CLEAN
    finally:
        await app.state.close_engines()
        await app.state.runtime.database.dispose()


def _yesterday(conversion: ConversionService) -> date:
    return datetime.now(conversion.zone).date() - timedelta(days=1)


def _documents(status: dict[str, Any]) -> dict[str, int]:
    documents: dict[str, int] = status["documents"]
    return documents


def _print(out: TextIO, value: object) -> None:
    out.write(json.dumps(value, indent=2, ensure_ascii=False) + "\n")
    out.flush()
