"""Settings of the svarut-gateway service, read from `SVARUT_GATEWAY_*` environment variables.

Every duration is a setting so tests can run the whole never-twice-never-lost protocol in
seconds; the defaults follow KS's documentation (SvarUt may take up to 15 minutes to answer
a send, so the send timeout is 16 minutes and the look-up window 15).
"""

from __future__ import annotations

from typing import ClassVar
from uuid import UUID

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings


class SvarutGatewaySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SVARUT_GATEWAY_", extra="ignore")

    service_name: ClassVar[str] = "svarut-gateway"
    calls_services: ClassVar[bool] = True  # `serve` refuses to start without a client (token URL, id, secret)

    # --- SvarUt -------------------------------------------------------------------------
    svarut_base_url: str = Field(
        default="http://127.0.0.1:8089/api", description="SvarUt API base, e.g. https://svarut.ks.no/api"
    )
    svarut_konto_id: UUID = Field(
        default=UUID("6f0b2b54-6f5a-4d4b-9c55-3c5e2b1b7a10"), description="The sending account (kontoId)"
    )
    svarut_integrasjon_id: str = Field(default="arkiv5-test-integrasjon", description="IntegrasjonId header")
    svarut_integrasjon_passord: str = Field(default="arkiv5-test-passord", description="IntegrasjonPassord header")
    svarut_avgivende_system: str | None = Field(default="Arkiv5", description="avgivendeSystem on each forsendelse")
    svarut_encryption_certificate_pem: str | None = Field(
        default=None, description="SvarUt's public certificate (PEM); needed to send screened letters to persons"
    )
    svarut_connect_timeout_s: float = Field(default=10.0, gt=0)
    svarut_send_timeout_s: float = Field(
        default=960.0, gt=0, description="Read timeout of a send; SvarUt may take up to 15 minutes to answer"
    )
    svarut_query_timeout_s: float = Field(default=60.0, gt=0, description="Read timeout of status and look-up calls")
    svarut_query_attempts: int = Field(default=4, ge=1, description="Attempts of a status or look-up call")
    svarut_retry_initial_s: float = Field(default=0.5, ge=0, description="First backoff of a retried call")
    svarut_retry_max_s: float = Field(default=30.0, ge=0, description="Longest backoff of a retried call")
    svarut_max_total_bytes: int = Field(
        default=350 * 1024 * 1024, ge=1, description="Largest total document size (SvarUt: 350 MB if it may print)"
    )
    breaker_failure_threshold: int = Field(default=10, ge=1, description="Consecutive failures that open the circuit")
    breaker_reset_s: float = Field(default=30.0, gt=0, description="How long the circuit stays open before a trial")

    # --- Maskinporten (JWT grant) -------------------------------------------------------
    maskinporten_token_url: str = Field(default="http://127.0.0.1:8089/maskinporten/token")
    maskinporten_audience: str = Field(default="https://maskinporten.simulator/", description="aud of the grant")
    maskinporten_client_id: str = Field(default="arkiv5-svarut-gateway", description="iss of the grant")
    maskinporten_scope: str = Field(default="ks:fiks")
    maskinporten_private_key_pem: str | None = Field(
        default=None, description="RS256 key signing the grant; development generates one when unset"
    )
    maskinporten_kid: str | None = Field(default=None, description="kid of the key registered in Maskinporten")
    maskinporten_timeout_s: float = Field(default=10.0, gt=0)

    # --- Never twice, never lost ----------------------------------------------------------
    lookup_window_s: float = Field(
        default=900.0, gt=0,
        description="After an ambiguous send, keep looking the eksternRef up this long before sending again",
    )
    lookup_interval_s: float = Field(default=30.0, gt=0, description="Time between eksternRef look-ups")
    send_retry_initial_s: float = Field(default=5.0, ge=0, description="Backoff after a send that surely failed")
    send_retry_max_s: float = Field(default=600.0, ge=0)
    worker_interval_s: float = Field(default=1.0, gt=0, description="Idle poll of the dispatch worker")
    worker_batch_size: int = Field(default=100, ge=1, description="Dispatches claimed per worker round")
    worker_concurrency: int = Field(default=16, ge=1, description="Concurrent SvarUt calls of the worker")
    stale_sending_s: float | None = Field(
        default=None,
        description="A send still marked in flight after this long is reconciled (default: send timeout + 60 s)",
    )

    # --- Status tracking ----------------------------------------------------------------
    status_poll_interval_s: float = Field(default=300.0, gt=0, description="Between two status polls of a letter")
    status_batch_size: int = Field(default=200, ge=1, le=1000, description="Ids per status search")

    waiting_gauge_interval_s: float = Field(
        default=5.0, gt=0, description="Between two counts of waiting letters per reason (the waiting gauges)"
    )

    # --- The journal and conversion services (internal APIs) ------------------------------
    journal_base_url: str = Field(default="http://127.0.0.1:8000/journal")
    conversion_base_url: str = Field(default="http://127.0.0.1:8000/conversion")
    internal_timeout_s: float = Field(default=60.0, gt=0)

    def resolved_stale_sending_s(self) -> float:
        return self.stale_sending_s if self.stale_sending_s is not None else self.svarut_send_timeout_s + 60
