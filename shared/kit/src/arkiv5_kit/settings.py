"""Settings every service shares; each service subclasses with its own env prefix.

`JOURNAL_DATABASE_URL`, `ACCESS_BUS`, … — one prefix per service so that one process (the
embedded suite) and one pod per service read the same names.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar, Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Base settings. Subclasses set `service_name` and `model_config` with an env prefix."""

    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter="__")

    service_name: ClassVar[str] = "service"
    # What `serve` needs before it may start: a service that verifies tokens needs the
    # access service's JWKS and issuer; one that calls other services needs a client.
    verifies_tokens: ClassVar[bool] = True
    calls_services: ClassVar[bool] = False

    environment: Literal["production", "development", "test"] = Field(
        default="development", description="'test' accepts synthetic test fødselsnummer"
    )
    var_dir: Path = Field(default=Path("var"), description="Where the embedded default keeps its files")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<var_dir>/<service>.sqlite",
    )
    database_pool_size: int = Field(default=10, ge=1)
    migrate_on_start: bool = Field(default=True, description="Run Alembic upgrade head at start-up")

    bus: Literal["embedded", "kafka"] = "embedded"
    embedded_bus_url: str | None = Field(
        default=None, description="The embedded bus log; default sqlite+aiosqlite:///<var_dir>/bus.sqlite"
    )
    kafka_bootstrap_servers: str = "127.0.0.1:19092"
    kafka_topic_prefix: str = Field(default="", description="Prefix of every topic name, e.g. 'test.'")
    kafka_create_topics: bool = Field(default=True, description="Create missing topics at start-up")
    kafka_request_timeout_ms: int = Field(default=15000, ge=1000)

    outbox_batch_size: int = Field(default=500, ge=1, le=10000)
    outbox_poll_interval_s: float = Field(
        default=0.25, gt=0, description="First idle poll after work; this process's commits wake the relay at once"
    )
    outbox_idle_poll_max_s: float = Field(
        default=5.0, gt=0, description="The idle poll doubles while it finds nothing, up to this (rows of other processes)"
    )
    outbox_retention_hours: float = Field(default=72, gt=0, description="Published rows are pruned after this")

    consumer_batch_size: int = Field(default=200, ge=1)
    consumer_max_attempts: int = Field(default=5, ge=1, description="Then the event goes to <topic>.dlt")
    consumer_retry_initial_s: float = Field(default=0.1, ge=0)
    consumer_retry_max_s: float = Field(default=5.0, ge=0)
    consumer_idle_wait_s: float | None = Field(
        default=None, gt=0,
        description="How long an idle consumer waits for records before it reads again; default 5 s on the embedded "
        "bus (a publish in this process wakes it at once), 0.5 s on Kafka",
    )

    shutdown_timeout_s: float = Field(default=20.0, gt=0)

    log_level: str = "INFO"
    log_json: bool = True

    jwks_url: str | None = Field(default=None, description="The access service's JWKS")
    token_issuer: str | None = None
    token_url: str | None = Field(default=None, description="OAuth2 token endpoint for service calls")
    client_id: str | None = None
    client_secret: str | None = None

    def missing_to_serve(self) -> list[str]:
        """The environment variables `serve` needs and does not have (empty: it may start).

        Without them every call would be answered 401 (no JWKS to verify tokens against) or
        every call to another service would fail (no client credentials).
        """
        needed = ["jwks_url", "token_issuer"] if self.verifies_tokens else []
        if self.calls_services:
            needed += ["token_url", "client_id", "client_secret"]
        prefix = str(self.model_config.get("env_prefix", ""))
        return [f"{prefix}{name.upper()}" for name in needed if not getattr(self, name)]

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.var_dir}/{self.service_name}.sqlite"

    def resolved_consumer_idle_wait_s(self, transport_name: str) -> float:
        """The idle wait of a consumer on the transport named `transport_name` (the one in use)."""
        if self.consumer_idle_wait_s is not None:
            return self.consumer_idle_wait_s
        # The embedded bus wakes a waiting consumer on every publish in this process; its reads
        # after a wait only catch a log written by another process. Kafka's fetch is a long poll.
        return 5.0 if transport_name == "embedded" else 0.5

    def resolved_embedded_bus_url(self) -> str:
        return self.embedded_bus_url or f"sqlite+aiosqlite:///{self.var_dir}/bus.sqlite"

    @property
    def allows_synthetic_identifiers(self) -> bool:
        return self.environment == "test"
