"""The svarut-gateway service's app factory."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import timedelta
from pathlib import Path

import httpx
from fastapi import FastAPI

from arkiv5_contracts.events.journal import DispatchRequested
from arkiv5_kit.accounts import follow_disabled_accounts
from arkiv5_kit.auth import ClientCredentials
from arkiv5_kit.consumer import EventConsumer
from arkiv5_kit.maskinporten import MaskinportenToken
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .conversion_client import ConversionClient, HttpConversionClient
from .dispatch_status import refresh_waiting_gauges
from .journal_client import HttpJournalClient, JournalClient
from .models import DisabledAccount
from .service import Gateway, now, reconcile_in_flight, record_dispatches_requested
from .settings import SvarutGatewaySettings
from .svarut.breaker import CircuitBreaker
from .svarut.client import SvarutClient

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def _development_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def create_app(
    settings: SvarutGatewaySettings | None = None,
    bus: Transport | None = None,
    *,
    journal: JournalClient | None = None,
    conversion: ConversionClient | None = None,
    svarut_http: httpx.AsyncClient | None = None,
) -> FastAPI:
    """Build the app; `bus` is shared when several services run in one process.

    Tests pass fakes of the journal and conversion APIs and an httpx client for SvarUt
    (e.g. pointing at the simulator).
    """
    settings = settings or SvarutGatewaySettings()
    runtime = ServiceRuntime(settings, bus, migrations_dir=MIGRATIONS_DIR)
    if settings.environment == "production" and not settings.maskinporten_private_key_pem:
        raise ValueError("SVARUT_GATEWAY_MASKINPORTEN_PRIVATE_KEY_PEM must be set in production")

    owns_http = svarut_http is None
    http = svarut_http or httpx.AsyncClient(limits=httpx.Limits(max_connections=settings.worker_concurrency * 2))
    internal_http = httpx.AsyncClient()
    if settings.token_url and settings.client_id and settings.client_secret:
        internal_http.auth = ClientCredentials(
            settings.token_url, client_id=settings.client_id, client_secret=settings.client_secret,
            audience="journal", scopes=["journal.dispatch", "conversion.convert"], client=httpx.AsyncClient(),
        )
    svarut = SvarutClient(
        http,
        base_url=settings.svarut_base_url,
        konto_id=settings.svarut_konto_id,
        integrasjon_id=settings.svarut_integrasjon_id,
        integrasjon_passord=settings.svarut_integrasjon_passord,
        token=MaskinportenToken(
            http, token_url=settings.maskinporten_token_url, audience=settings.maskinporten_audience,
            client_id=settings.maskinporten_client_id, scope=settings.maskinporten_scope,
            private_key_pem=settings.maskinporten_private_key_pem or _development_key(),
            kid=settings.maskinporten_kid, timeout_s=settings.maskinporten_timeout_s,
        ),
        breaker=CircuitBreaker(failure_threshold=settings.breaker_failure_threshold, reset_s=settings.breaker_reset_s),
        connect_timeout_s=settings.svarut_connect_timeout_s,
        send_timeout_s=settings.svarut_send_timeout_s,
        query_timeout_s=settings.svarut_query_timeout_s,
        query_attempts=settings.svarut_query_attempts,
        retry_initial_s=settings.svarut_retry_initial_s,
        retry_max_s=settings.svarut_retry_max_s,
    )
    gateway = Gateway(
        settings=settings,
        database=runtime.database,
        outbox=runtime.outbox,
        svarut=svarut,
        journal=journal or HttpJournalClient(internal_http, base_url=settings.journal_base_url,
                                             timeout_s=settings.internal_timeout_s),
        conversion=conversion or HttpConversionClient(internal_http, base_url=settings.conversion_base_url,
                                                      timeout_s=settings.internal_timeout_s),
    )
    # The kit's consumer in batch mode: each fetched batch of requests in one transaction.
    runtime.consumers.append(EventConsumer(
        service=runtime.name, name="dispatch-requests", database=runtime.database, transport=runtime.transport,
        batch_handlers={DispatchRequested: record_dispatches_requested},
        batch_size=settings.consumer_batch_size, max_attempts=settings.consumer_max_attempts,
        retry_initial_s=settings.consumer_retry_initial_s, retry_max_s=settings.consumer_retry_max_s,
    ))

    async def idle(stopping: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), timeout=settings.worker_interval_s)

    async def dispatch_loop(stopping: asyncio.Event) -> None:
        async with runtime.database.unit_of_work() as session:
            reconciled = await reconcile_in_flight(session)
        if reconciled:
            log.warning("reconciling sends that were in flight at the last stop", extra={"count": reconciled})
        next_stale_check = 0.0
        loop = asyncio.get_running_loop()
        try:
            while not stopping.is_set():
                try:
                    if loop.time() >= next_stale_check:
                        next_stale_check = loop.time() + settings.worker_interval_s * 10
                        older = now() - timedelta(seconds=settings.resolved_stale_sending_s())
                        async with runtime.database.unit_of_work() as session:
                            await reconcile_in_flight(session, older_than=older)
                    if await gateway.run_dispatch_round() == 0:
                        await idle(stopping)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the database is away: wait and go on
                    log.warning("dispatch round failed", extra={"error_type": type(exc).__name__})
                    await idle(stopping)
        except asyncio.CancelledError:
            # Cancelled before the letters in flight were awaited: cut them now; each records
            # that its send may have gone (UNCERTAIN) before the database is closed.
            await gateway.finish_in_flight(cancel=True)
            raise
        # A graceful stop lets the letters in flight finish; if the stop runs out of time and
        # cancels this wait, the gather cancels them and they record the same.
        await gateway.finish_in_flight()

    async def status_loop(stopping: asyncio.Event) -> None:
        while not stopping.is_set():
            try:
                if await gateway.run_status_round() == 0:
                    await idle(stopping)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("status round failed", extra={"error_type": type(exc).__name__})
                await idle(stopping)

    async def gauge_loop(stopping: asyncio.Event) -> None:
        # Counted in the database (one GROUP BY), so every replica exports the same truth.
        while not stopping.is_set():
            try:
                async with runtime.database.unit_of_work() as session:
                    await refresh_waiting_gauges(session)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("waiting gauges not refreshed", extra={"error_type": type(exc).__name__})
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), timeout=settings.waiting_gauge_interval_s)

    async def svarut_jobs(stopping: asyncio.Event) -> None:
        try:
            await asyncio.gather(dispatch_loop(stopping), status_loop(stopping), gauge_loop(stopping))
        finally:
            await internal_http.aclose()
            if owns_http:
                await http.aclose()

    runtime.add_job("svarut", svarut_jobs)
    app = create_service_app(
        runtime,
        title="Arkiv5 SvarUt gateway",
        description="Sends outgoing letters and decisions through KS SvarUt — never twice, never lost — and reports delivery.",
        routers=routers,
    )
    app.state.gateway = gateway
    # A disabled account's token is refused as invalid (401) as soon as AccountDisabled is read.
    app.state.account_disabled = follow_disabled_accounts(runtime, DisabledAccount)
    return app
