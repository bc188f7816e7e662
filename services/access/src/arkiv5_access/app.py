"""The access service's app factory."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.middleware import Middleware

from arkiv5_contracts.envelope import Envelope
from arkiv5_contracts.events.journal import AdHocGroupRequested
from arkiv5_kit.auth import TokenVerifier
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .audit_consumer import register_audit_consumer
from .auth import LocalJwks
from .domain import federation, groups, signing, tokens
from .limits import BodyLimit
from .seed import seed_demo
from .settings import AccessSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"

log = logging.getLogger(__name__)


def create_app(
    settings: AccessSettings | None = None, bus: Transport | None = None, *, http_client: httpx.AsyncClient | None = None
) -> FastAPI:
    """Build the app; `bus` is shared when several services run in one process.

    `http_client` fetches the trusted issuers' JWKS (default: a short-lived client per fetch);
    tests pass one that answers for a fake identity provider.
    """
    settings = settings or AccessSettings()
    passphrase = settings.signing_key_passphrase
    if passphrase is None and settings.environment == "production":
        log.warning("ACCESS_SIGNING_KEY_PASSPHRASE is not set: signing keys are stored unencrypted")
    key_policy = signing.KeyPolicy(
        alg=settings.signing_alg,
        passphrase=passphrase.get_secret_value().encode() if passphrase else None,
        token_lifetime_s=settings.token_lifetime_s,
        leeway_s=settings.token_leeway_s,
        publish_ahead_s=settings.signing_key_publish_ahead_s,
    )
    runtime = ServiceRuntime(settings, bus, migrations_dir=MIGRATIONS_DIR)
    register_audit_consumer(runtime, settings)  # the sporingslogg of the journal's screened reads

    @runtime.on_start
    async def signing_key_and_demo() -> None:
        """What must exist before the first token: a signing key and, when asked for, the demo municipality."""
        async with runtime.database.unit_of_work() as session:
            await signing.ensure_signing_key(session, key_policy)
        if not settings.seed_demo:
            return
        if settings.environment == "production":
            log.warning("seed_demo is ignored in production")
            return
        async with runtime.database.unit_of_work() as session:
            await seed_demo(
                session, runtime.outbox, password=settings.demo_password.get_secret_value(),
                client_secret=settings.demo_client_secret.get_secret_value(),
            )

    async def ad_hoc_group_requested(session: AsyncSession, envelope: Envelope[Any]) -> None:
        await groups.on_ad_hoc_group_requested(session, runtime.outbox, envelope.data)

    # The journal checks `create-ad-hoc-group` on the record; access creates the group (idempotent).
    runtime.add_consumer("journal-ad-hoc-groups", {AdHocGroupRequested: ad_hoc_group_requested})

    app = create_service_app(
        runtime,
        title="Arkiv5 access",
        description="Rights management as the archive plan prescribes: roles, units, access codes, groups, change requests and tokens.",
        routers=routers,
    )
    # Innermost of the middleware, inside the kit's correlation id: a 413 carries it too.
    app.user_middleware.append(Middleware(BodyLimit, max_bytes=settings.max_body_bytes))
    app.state.settings = settings
    app.state.key_policy = key_policy
    app.state.signer = signing.Signer(key_policy)
    app.state.token_policy = tokens.TokenPolicy(
        issuer=settings.issuer, lifetime_s=settings.token_lifetime_s, person_audiences=tuple(settings.person_audiences)
    )
    app.state.federation = federation.Federation(
        settings.trusted_issuers, leeway_s=settings.token_leeway_s, client=http_client
    )
    # Access verifies its own callers against its own key table (no HTTP round trip to itself).
    app.state.token_verifier = TokenVerifier(
        LocalJwks(runtime.database, key_policy), issuer=settings.issuer, audience="access",
        leeway_s=settings.token_leeway_s,
    )
    return app
