"""How the services find each other: the one place that computes it.

`make run` (one process, every service under its prefix), `make run-distributed` (one
process per service, each on its own port) and the Kubernetes manifests all wire the
services the same way; only where each one answers differs. `service_values` takes those
addresses and returns, per service, the settings that connect it: where the access
service's JWKS and token endpoint are, the issuer every token carries, each client's
id and secret, the other services' base URLs, the SvarUt endpoints (the simulator on one
machine, KS in production), the Kafka topic prefix and the journal's blob folder.
`environment` turns them into the environment variables a process or a pod reads
(`JOURNAL_JWKS_URL`, `SVARUT_GATEWAY_JOURNAL_BASE_URL`, …).

For manifests, print the variables for a given set of addresses:

    uv run python -m arkiv5_suite.wiring --journal http://journal:8000 --access http://access:8000 \\
        --conversion http://conversion:8000 --svarut-gateway http://svarut-gateway:8000 \\
        --intake http://intake:8000 --svarut https://svarut.ks.no

Secrets (client secrets, the SvarUt certificate) are left out of that output unless
`--with-secrets` is given: in a cluster they come from Secrets, not a ConfigMap.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SERVICES = ("journal", "access", "conversion", "svarut-gateway", "intake")
ENV_PREFIXES = {
    "journal": "JOURNAL_",
    "access": "ACCESS_",
    "conversion": "CONVERSION_",
    "svarut-gateway": "SVARUT_GATEWAY_",
    "intake": "INTAKE_",
}
DEFAULT_ISSUER = "https://access.arkiv5.local"
DEMO_CLIENT_SECRET = "demo-client-secret"
# Settings that hold a secret: printed for manifests only with --with-secrets.
SECRET_SETTINGS = frozenset({"client_secret", "demo_client_secret", "svarut_encryption_certificate_pem"})


@dataclass(frozen=True)
class Endpoints:
    """Where each service answers, as the other services reach it (no trailing slash)."""

    journal: str
    access: str
    conversion: str
    svarut_gateway: str
    intake: str
    # KS SvarUt's base (…/api is appended) and Maskinporten's token endpoint; the simulator on one machine.
    svarut: str
    maskinporten_token_url: str

    @classmethod
    def one_process(cls, base_url: str, simulator_prefix: str = "/svarut-simulator") -> Endpoints:
        """Every service under its prefix on one base URL (`make run`), the simulator beside them."""
        base = base_url.rstrip("/")
        return cls(journal=f"{base}/journal", access=f"{base}/access", conversion=f"{base}/conversion",
                   svarut_gateway=f"{base}/svarut-gateway", intake=f"{base}/intake",
                   svarut=f"{base}{simulator_prefix}", maskinporten_token_url=f"{base}{simulator_prefix}/maskinporten/token")

    @classmethod
    def on_ports(cls, ports: dict[str, int], host: str = "127.0.0.1") -> Endpoints:
        """One process per service on `ports` (service name → port, "svarut-simulator" too)."""
        def url(name: str) -> str:
            return f"http://{host}:{ports[name]}"

        simulator = url("svarut-simulator")
        return cls(journal=url("journal"), access=url("access"), conversion=url("conversion"),
                   svarut_gateway=url("svarut-gateway"), intake=url("intake"),
                   svarut=simulator, maskinporten_token_url=f"{simulator}/maskinporten/token")

    def of(self, service: str) -> str:
        return str(getattr(self, service.replace("-", "_")))


def service_values(
    endpoints: Endpoints,
    *,
    issuer: str = DEFAULT_ISSUER,
    client_secret: str = DEMO_CLIENT_SECRET,
    demo: bool = True,
    svarut_certificate_pem: str | None = None,
    topic_prefix: str | None = None,
    blob_dir: Path | None = None,
) -> dict[str, dict[str, Any]]:
    """The settings (field names) that connect each service to the others.

    `demo` seeds the demo municipality in access and lets it hand out password tokens
    (development and tests; the services' own production guard ignores it there).
    `client_secret` is the secret of every service's client (the demo seed creates them
    with it); production gives each its own through `CLIENT_SECRET` from a Secret.
    """
    def common(name: str) -> dict[str, Any]:
        values: dict[str, Any] = {
            "jwks_url": f"{endpoints.access}/.well-known/jwks.json",
            "token_issuer": issuer,
            "token_url": f"{endpoints.access}/oauth2/token",
            "client_id": name,
            "client_secret": client_secret,
        }
        if topic_prefix is not None:
            values["kafka_topic_prefix"] = topic_prefix
        return values

    access: dict[str, Any] = {"issuer": issuer}
    if demo:
        access.update(seed_demo=True, password_grant_enabled=True, demo_client_secret=client_secret)
    if topic_prefix is not None:
        access["kafka_topic_prefix"] = topic_prefix
    journal = common("journal")
    if blob_dir is not None:
        journal["blob_dir"] = blob_dir
    gateway = {
        **common("svarut-gateway"),
        "journal_base_url": endpoints.journal,
        "conversion_base_url": endpoints.conversion,
        "svarut_base_url": f"{endpoints.svarut}/api",
        "maskinporten_token_url": endpoints.maskinporten_token_url,
    }
    if svarut_certificate_pem is not None:
        # Screened letters are encrypted to this certificate (KS's in production, the simulator's here).
        gateway["svarut_encryption_certificate_pem"] = svarut_certificate_pem
    return {
        "journal": journal,
        "access": access,
        "conversion": {**common("conversion"), "journal_url": endpoints.journal},
        "svarut-gateway": gateway,
        "intake": {**common("intake"), "journal_base_url": endpoints.journal},
    }


def environment(values: dict[str, dict[str, Any]], *, with_secrets: bool = True) -> dict[str, dict[str, str]]:
    """The same settings as environment variables, per service (`JOURNAL_JWKS_URL`, …)."""
    return {
        service: {
            f"{ENV_PREFIXES[service]}{name.upper()}": str(value)
            for name, value in settings.items()
            if with_secrets or name not in SECRET_SETTINGS
        }
        for service, settings in values.items()
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m arkiv5_suite.wiring",
        description="Print the environment variables that connect the services, per service",
    )
    for service in SERVICES:
        parser.add_argument(f"--{service}", required=True, metavar="URL", help=f"base URL of {service}")
    parser.add_argument("--svarut", required=True, metavar="URL", help="SvarUt's base (without /api)")
    parser.add_argument("--maskinporten-token-url", default=None,
                        help="default: https://maskinporten.no/token when --svarut is KS, else <svarut>/maskinporten/token")
    parser.add_argument("--issuer", default=DEFAULT_ISSUER)
    parser.add_argument("--topic-prefix", default=None)
    parser.add_argument("--blob-dir", type=Path, default=None, help="the journal's blob folder (a shared volume)")
    parser.add_argument("--demo", action="store_true", help="seed the demo municipality (never in production)")
    parser.add_argument("--with-secrets", action="store_true", help="include client secrets")
    parser.add_argument("--format", choices=["env", "json"], default="env")
    args = parser.parse_args(argv)
    svarut = args.svarut.rstrip("/")
    token_url = args.maskinporten_token_url or (
        "https://maskinporten.no/token" if svarut.endswith("svarut.ks.no") else f"{svarut}/maskinporten/token")
    endpoints = Endpoints(journal=args.journal, access=args.access, conversion=args.conversion,
                          svarut_gateway=args.svarut_gateway, intake=args.intake,
                          svarut=svarut, maskinporten_token_url=token_url)
    env = environment(service_values(endpoints, issuer=args.issuer, demo=args.demo, topic_prefix=args.topic_prefix,
                                     blob_dir=args.blob_dir), with_secrets=args.with_secrets)
    if args.format == "json":
        json.dump(env, sys.stdout, indent=2)
        print()
        return 0
    for service, variables in env.items():
        print(f"# {service}")
        for name, value in variables.items():
            print(f"{name}={value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
