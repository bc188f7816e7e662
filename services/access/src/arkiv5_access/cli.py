"""`arkiv5-access serve|migrate|bootstrap` (`python -m arkiv5_access …`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from arkiv5_kit.cli import run_service_cli
from arkiv5_kit.logs import configure_logging

from . import bootstrap as made_once
from .app import create_app
from .domain import signing
from .settings import AccessSettings


def _bootstrap_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arkiv5-access bootstrap",
        description="Make the first arkivleder and systemansvarlig and the service clients (idempotent). "
        "The database comes from ACCESS_DATABASE_URL; new secrets are appended to --secrets-file (mode 0600).",
    )
    parser.add_argument("--secrets-file", type=Path, required=True,
                        help="where new one-time passwords and client secrets are written (mode 0600)")
    parser.add_argument("--unit-code", default="KOMMUNE", help="the top unit's code (default KOMMUNE)")
    parser.add_argument("--unit-name", default="Kommunen", help="the top unit's name, if it is made")
    parser.add_argument("--arkivleder", default="arkivleder", help="the arkivleder's username")
    parser.add_argument("--systemansvarlig", default="systemansvarlig", help="the systemansvarlig's username")
    return parser


async def _bootstrap(settings: AccessSettings, args: argparse.Namespace) -> made_once.Outcome:
    app = create_app(settings)
    runtime = app.state.runtime
    try:
        await runtime.migrate()
        async with runtime.database.unit_of_work() as session:
            await signing.ensure_signing_key(session, app.state.key_policy)
        plan = made_once.Plan(unit_code=args.unit_code, unit_name=args.unit_name, arkivleder=args.arkivleder,
                              systemansvarlig=args.systemansvarlig)
        async with runtime.database.unit_of_work() as session:
            outcome = await made_once.bootstrap(session, runtime.outbox, plan)
            if outcome.secrets:
                # Before the commit: if the file cannot be written, nothing is made without its secret.
                made_once.write_secrets(args.secrets_file, outcome.secrets)
        return outcome
    finally:
        await runtime.database.dispose()


def bootstrap(argv: list[str]) -> int:
    args = _bootstrap_parser().parse_args(argv)
    settings = AccessSettings()
    configure_logging(settings.service_name, level="WARNING", json_lines=settings.log_json)
    outcome = asyncio.run(_bootstrap(settings, args))
    for line in outcome.lines:
        print(line)
    if outcome.secrets:
        print(f"{len(outcome.secrets)} new secret(s) appended to {args.secrets_file} (mode 0600); hand each to its "
              "owner or service and remove them from there.")
    if not outcome.changed:
        print("Nothing changed: everything was there already.")
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bootstrap"]:
        raise SystemExit(bootstrap(argv[1:]))
    run_service_cli(AccessSettings, create_app, argv)
