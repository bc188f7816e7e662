"""Settings of the access service, read from `ACCESS_*` environment variables."""

from __future__ import annotations

from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import SettingsConfigDict

from arkiv5_kit.settings import ServiceSettings

DEFAULT_ISSUER = "https://access.arkiv5.local"


class TrustedIssuer(BaseModel):
    """An identity provider whose ID or access tokens are exchanged for Arkiv5 tokens."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    issuer: str = Field(min_length=1, max_length=500, description="`iss` of its tokens, exactly")
    jwks_url: str = Field(min_length=1, description="Its JWKS (the `jwks_uri` of its OpenID configuration)")
    audience: str = Field(min_length=1, description="`aud` its tokens carry for Arkiv5 (our client id there)")
    subject_claim: str = Field(
        default="sub", min_length=1, max_length=100,
        description="The claim that identifies the person, as linked: e.g. sub, oid, pid or email",
    )


class AccessSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="ACCESS_", extra="ignore")

    service_name: ClassVar[str] = "access"
    verifies_tokens: ClassVar[bool] = False  # access verifies against its own key table

    issuer: str = Field(
        default=DEFAULT_ISSUER,
        description="`iss` of every token issued; other services set their TOKEN_ISSUER to it",
    )
    token_lifetime_s: int = Field(
        default=300, ge=30, le=3600,
        description="Lifetime of access tokens; also the longest a disabled account's token can still be "
        "accepted by a service that checks only scopes",
    )
    token_leeway_s: int = Field(default=30, ge=0, le=300, description="Clock skew verifiers accept")
    signing_alg: Literal["RS256", "ES256"] = Field(
        default="RS256",
        description="Algorithm of new signing keys; RS256 verifies several times faster than ES256, and every "
        "request of every service verifies",
    )
    signing_key_publish_ahead_s: float = Field(
        default=60, ge=0,
        description="A rotated-in key is published in the JWKS this long before it signs; keep it at least "
        "the verifiers' JWKS refresh interval (30 s in the kit)",
    )
    signing_key_passphrase: SecretStr | None = Field(
        default=None,
        description="Encrypts signing keys' private halves at rest (PKCS#8, best available encryption); "
        "unset = stored unencrypted, which only development should do",
    )
    password_grant_enabled: bool = Field(
        default=False,
        description="Accept the OAuth2 password grant for local accounts (persons without an account at the "
        "municipality's identity provider; production otherwise federates)",
    )
    password_min_length: int = Field(
        default=12, ge=8, le=128, description="Shortest password a person may set for a local account"
    )
    password_max_failures: int = Field(
        default=5, ge=1, le=100,
        description="Failed password sign-ins in a row that lock a local account until the arkivleder unlocks it "
        "(or sets a one-time password)",
    )
    person_audiences: list[str] = Field(
        default=["journal", "access"], description="Audience of a person's token when none is asked for"
    )
    seed_demo: bool = Field(
        default=False,
        description="At start-up, seed a small demo municipality (idempotent); never in production",
    )
    demo_password: SecretStr = Field(
        default=SecretStr("demo-password"), description="Password of every seeded demo account"
    )
    demo_client_secret: SecretStr = Field(
        default=SecretStr("demo-client-secret"), description="Secret of every seeded demo client"
    )
    trusted_issuers: list[TrustedIssuer] = Field(
        default_factory=list,
        description="Identity providers whose tokens the token exchange accepts (JSON list of objects with "
        "issuer, jwks_url, audience, subject_claim)",
    )
    max_body_bytes: int = Field(
        default=1_048_576, ge=1024,
        description="Largest request body accepted; a larger one is refused with 413 before it is read",
    )
    sporingslogg_retention_days: int = Field(
        default=3650, ge=1, le=36500,
        description="Reads of screened content are kept in the sporingslogg this many days, then deleted",
    )
    sporingslogg_purge_interval_s: float = Field(
        default=3600.0, gt=0, description="How often the job deleting expired sporingslogg entries runs"
    )

    @field_validator("trusted_issuers")
    @classmethod
    def _one_entry_per_issuer(cls, value: list[TrustedIssuer]) -> list[TrustedIssuer]:
        issuers = [entry.issuer for entry in value]
        if len(set(issuers)) != len(issuers):
            raise ValueError("each trusted issuer is listed once")
        return value
