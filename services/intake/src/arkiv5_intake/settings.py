"""Settings of the intake service, read from `INTAKE_*` environment variables."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: ClassVar[str] = "intake"
    calls_services: ClassVar[bool] = True  # `serve` refuses to start without a client (token URL, id, secret)

    # --- The journal (internal command API) ---------------------------------------------
    journal_base_url: str = Field(default="http://127.0.0.1:8000/journal")
    journal_timeout_s: float = Field(default=60.0, gt=0)
    default_administrativ_enhet: UUID = Field(
        default=UUID("00000000-0000-4000-8000-000000000001"),
        description="administrativEnhet of a saksmappe or journalpost that a message does not place "
                    "(Fiks Arkiv names units by text, the journal by id)",
    )

    # --- Fiks Arkiv ---------------------------------------------------------------------
    max_message_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, description="Largest message XML")
    max_attachment_bytes: int = Field(default=100 * 1024 * 1024, ge=1, description="Largest attachment")
    sok_max_hits: int = Field(default=100, ge=1, le=1000, description="Hits per sok answer")

    # --- Fiks IO (AMQP) -----------------------------------------------------------------
    fiks_io_enabled: bool = Field(default=False, description="Consume the Fiks IO queue")
    fiks_io_amqp_url: str = Field(default="amqp://guest:guest@127.0.0.1:5672/")
    fiks_io_konto_id: UUID = Field(default=UUID("7c3e1f0a-5b2d-4e8f-9a61-2d4c8b0e9f13"))
    fiks_io_prefetch: int = Field(default=10, ge=1)
    fiks_io_send_url: str = Field(default="http://127.0.0.1:8000/fiks-io-simulator/fiks-io/api/v1/send")
    fiks_io_private_key_pem: str | None = Field(
        default=None, description="The account's RSA key: opens incoming CMS envelopes and signs answers"
    )
    fiks_io_certificate_pem: str | None = Field(default=None, description="The account's certificate (PEM)")
    fiks_io_katalog_url: str = Field(
        default="http://127.0.0.1:8000/fiks-io-simulator/fiks-io/katalog/api/v1",
        description="Fiks IO katalog: the recipients' public keys",
    )
    fiks_io_integrasjon_id: str = Field(default="arkiv5-intake", description="IntegrasjonId header")
    fiks_io_integrasjon_passord: str = Field(default="arkiv5-intake-passord", description="IntegrasjonPassord header")
    fiks_io_retry_s: float = Field(default=5.0, gt=0, description="Wait before a message whose answer could not "
                                                                   "be sent is delivered again")

    # --- The central e-mail mailbox (IMAP) ----------------------------------------------
    mailbox_enabled: bool = Field(default=False, description="Poll the IMAP mailbox")
    imap_host: str = "127.0.0.1"
    imap_port: int = 993
    imap_ssl: bool = True
    imap_username: str = "postmottak"
    imap_password: str | None = None
    imap_auth: Literal["password", "xoauth2"] = "password"
    imap_access_token: str | None = Field(default=None, description="OAuth2 access token for XOAUTH2")
    imap_inbox: str = "INBOX"
    imap_folder_registered: str = Field(default="Arkivert")
    imap_folder_rejected: str = Field(default="Avvist")
    imap_folder_forwarded: str = Field(default="Videresendt")
    imap_poll_interval_s: float = Field(default=30.0, gt=0)
    imap_idle: bool = Field(default=True, description="Wait with IMAP IDLE between polls where the server offers it")
    max_mail_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
