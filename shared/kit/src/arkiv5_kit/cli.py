"""The command line every service has: `python -m arkiv5_<service> serve|migrate`."""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
from collections.abc import Callable

import uvicorn
from fastapi import FastAPI

from .logs import configure_logging
from .service import ServiceRuntime
from .settings import ServiceSettings


def run_service_cli(
    settings_cls: type[ServiceSettings],
    create_app: Callable[..., FastAPI],
    argv: list[str] | None = None,
) -> None:
    parser = argparse.ArgumentParser(prog=f"arkiv5-{settings_cls.service_name}")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="serve the HTTP API and run the background work")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    commands.add_parser("migrate", help="upgrade the service's database to the newest schema, then exit")
    args = parser.parse_args(argv)

    settings = settings_cls()
    configure_logging(settings.service_name, level=settings.log_level, json_lines=settings.log_json)
    if args.command == "migrate":
        runtime: ServiceRuntime = create_app(settings).state.runtime
        asyncio.run(_migrate(runtime))
        return
    missing = settings.missing_to_serve()
    if missing:
        # Refuse rather than answer 401 to every call: say what to set.
        print(f"arkiv5-{settings.service_name}: cannot serve without {', '.join(missing)} "
              "(the access service's JWKS URL and token issuer, and this service's client at its token endpoint; "
              "`python -m arkiv5_suite.wiring` prints them for a set of service addresses)", file=sys.stderr)
        raise SystemExit(2)
    app = create_app(settings)
    # Everything imported and built so far lives as long as the process: keep it out of the
    # collector's full passes, which otherwise walk it all and pause every request meanwhile.
    gc.collect()
    gc.freeze()
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,  # keep our JSON logging
        timeout_graceful_shutdown=int(settings.shutdown_timeout_s),
    )


async def _migrate(runtime: ServiceRuntime) -> None:
    try:
        await runtime.migrate()
    finally:
        await runtime.database.dispose()
