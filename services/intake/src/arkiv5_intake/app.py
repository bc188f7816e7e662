"""The intake service's app factory."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
from fastapi import FastAPI
from pydantic import SecretStr

from arkiv5_kit.accounts import follow_disabled_accounts
from arkiv5_kit.auth import ClientCredentials
from arkiv5_kit.maskinporten import MaskinportenToken
from arkiv5_kit.service import ServiceRuntime, create_service_app
from arkiv5_kit.transport.base import Transport

from .api import routers
from .fiksarkiv.handler import FiksArkivHandler
from .fiksio.consumer import FiksIoConsumer
from .fiksio.sender import FiksIoSender
from .journal_client import JOURNAL_SCOPES, HttpJournalClient, JournalClient
from .mail import queue
from .mail.mailbox import ImapConfig, ImapMailbox, Mailbox
from .models import DisabledAccount
from .settings import IntakeSettings

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
log = logging.getLogger(__name__)


def create_app(settings: IntakeSettings | None = None, bus: Transport | None = None, *,
               journal: JournalClient | None = None, mailbox: Mailbox | None = None,
               fiks_io_http: httpx.AsyncClient | None = None) -> FastAPI:
    """Build the app; `bus` is shared when several services run in one process.

    Tests may pass a journal client (e.g. over `httpx.ASGITransport` to an in-process journal).
    """
    settings = settings or IntakeSettings()
    if settings.fiks_io_enabled and settings.database_pool_size < settings.fiks_io_prefetch:
        # Every message in flight works in its own task and holds a connection during each of its
        # transactions: a smaller pool opened and closed an overflow connection (with its TLS
        # negotiation) per transaction as soon as more than the pool's size were in flight.
        settings = settings.model_copy(update={"database_pool_size": settings.fiks_io_prefetch})
    runtime = ServiceRuntime(settings, bus, migrations_dir=MIGRATIONS_DIR)
    internal_http = httpx.AsyncClient()
    # Fiks IO gets a client of its own: the internal one carries the journal's token on every
    # request, which would replace the Maskinporten token the sender puts on each call to Fiks IO.
    fiks_http = fiks_io_http or httpx.AsyncClient()
    if settings.token_url and settings.client_id and settings.client_secret:
        internal_http.auth = ClientCredentials(
            settings.token_url, client_id=settings.client_id, client_secret=settings.client_secret,
            audience="journal", scopes=JOURNAL_SCOPES, client=httpx.AsyncClient(),
        )
    journal = journal or HttpJournalClient(internal_http, base_url=settings.journal_base_url,
                                           timeout_s=settings.journal_timeout_s)
    handler = FiksArkivHandler(database=runtime.database, journal=journal,
                               default_enhet=settings.default_administrativ_enhet,
                               sok_max_hits=settings.sok_max_hits)

    async def close_clients(stopping):  # type: ignore[no-untyped-def]
        await stopping.wait()
        await internal_http.aclose()
        if fiks_io_http is None:
            await fiks_http.aclose()

    runtime.add_job("http-clients", close_clients)
    folders = queue.Folders(settings.imap_inbox, settings.imap_folder_registered, settings.imap_folder_rejected,
                            settings.imap_folder_forwarded)
    if settings.mailbox_enabled or mailbox is not None:
        box = mailbox or ImapMailbox(ImapConfig(
            host=settings.imap_host, port=settings.imap_port, ssl=settings.imap_ssl, username=settings.imap_username,
            password=_secret(settings.imap_password), auth=settings.imap_auth,
            access_token=_secret(settings.imap_access_token),
            inbox=settings.imap_inbox))

        async def mailbox_loop(stopping: asyncio.Event) -> None:
            while not stopping.is_set():
                try:
                    await queue.poll(runtime.database, box, folders, max_bytes=settings.max_mail_bytes)
                    if settings.imap_idle:
                        await asyncio.to_thread(box.wait, settings.imap_poll_interval_s)
                    else:
                        await asyncio.wait_for(stopping.wait(), timeout=settings.imap_poll_interval_s)
                except TimeoutError:
                    continue
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # the mailbox is away: wait and try again
                    log.warning("mailbox round failed", extra={"error_type": type(exc).__name__})
                    try:
                        await asyncio.wait_for(stopping.wait(), timeout=settings.imap_poll_interval_s)
                    except TimeoutError:
                        pass

        runtime.add_job("mailbox", mailbox_loop)
    sender: FiksIoSender | None = None
    if settings.fiks_io_enabled:
        if not (settings.fiks_io_private_key_pem and settings.fiks_io_certificate_pem):
            raise ValueError("INTAKE_FIKS_IO_PRIVATE_KEY_PEM and INTAKE_FIKS_IO_CERTIFICATE_PEM must be set for Fiks IO")
        account_key_pem = settings.fiks_io_private_key_pem.get_secret_value()
        private_key = serialization.load_pem_private_key(account_key_pem.encode(), password=None)
        if not isinstance(private_key, RSAPrivateKey):
            raise ValueError("the Fiks IO key must be an RSA key")
        grant_key = settings.fiks_io_maskinporten_private_key_pem
        token = MaskinportenToken(
            fiks_http, token_url=settings.fiks_io_maskinporten_token_url,
            audience=settings.fiks_io_maskinporten_audience, client_id=settings.fiks_io_maskinporten_client_id,
            scope=settings.fiks_io_maskinporten_scope, kid=settings.fiks_io_maskinporten_kid,
            private_key_pem=grant_key.get_secret_value() if grant_key else account_key_pem)
        sender = FiksIoSender(
            fiks_http, send_url=settings.fiks_io_send_url, katalog_url=settings.fiks_io_katalog_url,
            konto_id=settings.fiks_io_konto_id, certificate_pem=settings.fiks_io_certificate_pem.encode(),
            private_key=private_key, integrasjon_id=settings.fiks_io_integrasjon_id,
            integrasjon_passord=settings.fiks_io_integrasjon_passord.get_secret_value(), token=token)
        consumer = FiksIoConsumer(handler=handler, sender=sender, amqp_url=settings.fiks_io_amqp_url.get_secret_value(),
                                  konto_id=settings.fiks_io_konto_id, private_key=private_key,
                                  prefetch=settings.fiks_io_prefetch,
                                  max_bytes=settings.max_message_bytes + 20 * settings.max_attachment_bytes,
                                  retry_s=settings.fiks_io_retry_s)
        runtime.add_job("fiks-io", consumer.run)
    app = create_service_app(
        runtime,
        title="Arkiv5 intake",
        description="Fagsystems archive through Fiks Arkiv (Fiks IO or HTTP); the central e-mail mailbox's queue.",
        routers=routers,
    )
    app.state.fiks_arkiv = handler
    app.state.journal = journal
    app.state.fiks_io_http = fiks_io_http
    app.state.fiks_io_sender = sender
    # A disabled account's token is refused as invalid (401) as soon as AccountDisabled is read.
    app.state.account_disabled = follow_disabled_accounts(runtime, DisabledAccount)
    return app


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None
