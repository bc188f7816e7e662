"""Settings of the intake service, read from `INTAKE_*` environment variables."""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings


class IntakeSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="INTAKE_", extra="ignore")

    service_name: ClassVar[str] = "intake"
    calls_services: ClassVar[bool] = True  # `serve` refuses to start without a client (token URL, id, secret)

    # --- The journal (internal command API) ---------------------------------------------
    journal_base_url: str = Field(default="http://127.0.0.1:8000/journal",
                                  description="The journal's base URL; intake calls its internal command API")
    journal_timeout_s: float = Field(default=60.0, gt=0, description="Timeout of one call to the journal")
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
    fiks_io_amqp_url: SecretStr = Field(
        default=SecretStr("amqp://guest:guest@127.0.0.1:5672/"),
        description="Fiks IO's AMQP broker, with the account's login (a secret)")
    fiks_io_konto_id: UUID = Field(default=UUID("7c3e1f0a-5b2d-4e8f-9a61-2d4c8b0e9f13"),
                                   description="The Fiks IO account (kontoId) whose queue intake consumes")
    fiks_io_prefetch: int = Field(default=10, ge=1, description="Messages worked at once (AMQP prefetch)")
    fiks_io_send_url: str = Field(default="http://127.0.0.1:8000/fiks-io-simulator/fiks-io/api/v1/send",
                                  description="Fiks IO's send API: where the answers go")
    fiks_io_private_key_pem: SecretStr | None = Field(
        default=None, description="The account's RSA key: opens incoming CMS envelopes and signs answers"
    )
    fiks_io_certificate_pem: str | None = Field(default=None, description="The account's certificate (PEM)")
    fiks_io_katalog_url: str = Field(
        default="http://127.0.0.1:8000/fiks-io-simulator/fiks-io/katalog/api/v1",
        description="Fiks IO katalog: the recipients' public keys",
    )
    fiks_io_integrasjon_id: str = Field(default="arkiv5-intake", description="IntegrasjonId header")
    fiks_io_integrasjon_passord: SecretStr = Field(default=SecretStr("arkiv5-intake-passord"),
                                                   description="IntegrasjonPassord header")
    fiks_io_maskinporten_token_url: str = Field(
        default="http://127.0.0.1:8000/fiks-io-simulator/maskinporten/token",
        description="Maskinporten's token endpoint (JWT grant); its token goes with every call to Fiks IO's "
                    "send API and katalog")
    fiks_io_maskinporten_audience: str = Field(default="https://maskinporten.simulator/",
                                               description="aud of the grant (Maskinporten's issuer)")
    fiks_io_maskinporten_client_id: str = Field(default="arkiv5-intake", description="iss of the grant: the "
                                                "Maskinporten client")
    fiks_io_maskinporten_scope: str = Field(default="ks:fiks", description="Scope asked for")
    fiks_io_maskinporten_private_key_pem: SecretStr | None = Field(
        default=None, description="Key that signs the grant (the virksomhetssertifikat's); unset: the account's "
                                  "Fiks IO key")
    fiks_io_maskinporten_kid: str | None = Field(default=None, description="kid of the key registered in "
                                                 "Maskinporten")
    fiks_io_retry_s: float = Field(default=5.0, gt=0, description="Wait before a message whose answer could not "
                                                                   "be sent is delivered again")

    # --- The central e-mail mailbox (IMAP) ----------------------------------------------
    mailbox_enabled: bool = Field(default=False, description="Poll the IMAP mailbox")
    imap_host: str = Field(default="127.0.0.1", description="The mailbox's IMAP server")
    imap_port: int = Field(default=993, description="Its port")
    imap_ssl: bool = Field(default=True, description="IMAP over TLS")
    imap_username: str = Field(default="postmottak", description="The mailbox account")
    imap_password: SecretStr | None = Field(default=None, description="Its password (IMAP_AUTH=password)")
    imap_auth: Literal["password", "xoauth2"] = Field(default="password", description="How intake logs in")
    imap_access_token: SecretStr | None = Field(default=None, description="OAuth2 access token for XOAUTH2")
    imap_inbox: str = Field(default="INBOX", description="The folder polled for new mail")
    imap_folder_registered: str = Field(default="Arkivert", description="Where a registered mail is moved")
    imap_folder_rejected: str = Field(default="Avvist", description="Where a rejected mail is moved")
    imap_folder_forwarded: str = Field(default="Videresendt", description="Where a forwarded mail is moved")
    imap_poll_interval_s: float = Field(default=30.0, gt=0, description="Seconds between polls")
    imap_idle: bool = Field(default=True, description="Wait with IMAP IDLE between polls where the server offers it")
    max_mail_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, description="Largest mail stored; a larger "
                                "one stays in the inbox")
