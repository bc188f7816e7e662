"""`arkiv5-access serve|migrate|bootstrap|signing-key|client-secret` (`python -m arkiv5_access …`)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from arkiv5_kit.cli import run_service_cli
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import DomainError
from arkiv5_kit.logs import configure_logging

from . import bootstrap as made_once
from .app import create_app
from .domain import audit, clients, signing
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


def _operations_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="arkiv5-access", description="Signing keys and client secrets on the access database "
        "(ACCESS_DATABASE_URL), as the API's /admin/signing-keys and /clients/{id}/secrets do them.")
    commands = parser.add_subparsers(dest="command", required=True)
    keys = commands.add_parser("signing-key", help="list, add, activate, retire or remove a signing key")
    key_steps = keys.add_subparsers(dest="step", required=True)
    key_steps.add_parser("list", help="every key: signing, published")
    key_steps.add_parser("add", help="a new key, published now, signing once activated")
    activate = key_steps.add_parser("activate", help="the key signs from now")
    activate.add_argument("kid")
    activate.add_argument("--immediately", action="store_true",
                          help="before the publish-ahead time (replacing a compromised key)")
    key_steps.add_parser("retire", help="the key stops signing; published until its tokens expired").add_argument("kid")
    key_steps.add_parser("remove", help="a compromised key leaves the JWKS at once").add_argument("kid")
    secrets_ = commands.add_parser("client-secret", help="a client's second secret, or retire its first")
    secret_steps = secrets_.add_subparsers(dest="step", required=True)
    add = secret_steps.add_parser("add", help="a second secret, appended to --secrets-file (mode 0600)")
    add.add_argument("client_id")
    add.add_argument("--secrets-file", type=Path, required=True)
    secret_steps.add_parser("retire-first", help="only the second secret opens from now").add_argument("client_id")
    return parser


async def _operate(settings: AccessSettings, args: argparse.Namespace) -> list[str]:
    app = create_app(settings)
    runtime, policy = app.state.runtime, app.state.key_policy
    lines: list[str] = []
    try:
        await runtime.migrate()
        async with runtime.database.unit_of_work() as session:
            if args.command == "client-secret":
                if args.step == "add":
                    _account, secret = await clients.add_secret(session, client_id=args.client_id, by=None)
                    made_once.write_secrets(args.secrets_file, [(f"{made_once.env_name(args.client_id)}_CLIENT_SECRET",
                                                                 secret)])
                    lines.append(f"client {args.client_id}: second secret appended to {args.secrets_file}")
                else:
                    await clients.retire_first_secret(session, client_id=args.client_id, by=None)
                    lines.append(f"client {args.client_id}: first secret retired; only the second opens")
                return lines
            kid: str | None = getattr(args, "kid", None)
            if args.step == "add":
                key = await signing.add(session, policy)
                kid = key.kid
                lines.append(f"signing key {key.kid}: added (published, not signing until activated)")
            elif args.step == "activate":
                await signing.activate(session, policy, args.kid, immediately=args.immediately)
                lines.append(f"signing key {args.kid}: signs from now")
            elif args.step == "retire":
                await signing.retire(session, args.kid)
                lines.append(f"signing key {args.kid}: retired (published until its last token expired)")
            elif args.step == "remove":
                await signing.remove(session, args.kid)
                lines.append(f"signing key {args.kid}: removed from the JWKS; restart access to drop it from memory")
            if args.step != "list":
                await audit.record(session, action=f"signing-key.{args.step}", outcome="allowed", actor_id=None,
                                   service="access-cli", details={"kid": kid})
            keys = await signing.all_keys(session)
            published = signing.published(keys, policy, clock.now())
            current = signing.signing_key(keys, clock.now())
            for key in keys:
                state = "signing" if current is not None and key.kid == current.kid else (
                    "published" if key in published else "unpublished")
                lines.append(f"  {key.kid} {key.alg} {state}")
        return lines
    finally:
        await runtime.database.dispose()


def operate(argv: list[str]) -> int:
    args = _operations_parser().parse_args(argv)
    settings = AccessSettings()
    configure_logging(settings.service_name, level="WARNING", json_lines=settings.log_json)
    try:
        lines = asyncio.run(_operate(settings, args))
    except DomainError as error:
        print(f"refused: {error.detail}", file=sys.stderr)
        return 1
    for line in lines:
        print(line)
    return 0


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bootstrap"]:
        raise SystemExit(bootstrap(argv[1:]))
    if argv[:1] in (["signing-key"], ["client-secret"]):
        raise SystemExit(operate(argv))
    run_service_cli(AccessSettings, create_app, argv)
