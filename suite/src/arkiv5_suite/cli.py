"""`arkiv5 run`: serve the whole suite from one process on the embedded default."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import uvicorn

from arkiv5_kit.logs import configure_logging

from .app import DEMO_CLIENT_SECRET, SIMULATOR_PREFIX, create_suite_app


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="arkiv5", description="Arkiv5 in one process")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve every service from one process")
    run.add_argument("--host", default=os.environ.get("ARKIV5_HOST", "127.0.0.1"))
    run.add_argument("--port", type=int, default=int(os.environ.get("ARKIV5_PORT", "8000")))
    run.add_argument("--var-dir", type=Path, default=Path(os.environ.get("ARKIV5_VAR_DIR", "var")))
    args = parser.parse_args(argv)

    configure_logging("suite", level=os.environ.get("ARKIV5_LOG_LEVEL", "INFO"),
                      json_lines=os.environ.get("ARKIV5_LOG_JSON", "false").lower() == "true")
    base = f"http://{args.host}:{args.port}"
    app = create_suite_app(args.var_dir, base_url=base)
    print(f"Arkiv5 on the embedded default (data in {args.var_dir}/):", flush=True)
    for service in app.state.services:
        print(f"  {service.name:<15} {base}{service.prefix}/   docs {base}{service.prefix}/docs", flush=True)
    print(f"  svarut (sim.)   {base}{SIMULATOR_PREFIX}/api   (KS SvarUt simulator, for the gateway)", flush=True)
    print("  health          /<service>/healthz/ready   metrics /<service>/metrics", flush=True)
    print("A demo municipality is seeded: one account per role (arkivleder, arkivtjeneste, leder,", flush=True)
    print("saksbehandler, systemansvarlig, lesetilgang; password demo-password). A token for one:", flush=True)
    print(f"  curl -s {base}/access/oauth2/token -d grant_type=password -d username=saksbehandler "
          "-d password=demo-password", flush=True)
    print(f"  (a fagsystem: curl -s -u demo-fagsystem:{DEMO_CLIENT_SECRET} {base}/access/oauth2/token "
          "-d grant_type=client_credentials -d audience=journal)", flush=True)
    print("  (IT: demo-overvaking reads where letters stand and the conversion reports; demo-drift runs the",
          flush=True)
    print("   nightly conversion batch: docs/svarut-gateway.md, docs/conversion.md)", flush=True)
    uvicorn.run(app, host=args.host, port=args.port, log_config=None, timeout_graceful_shutdown=20)


if __name__ == "__main__":
    main()
