"""Claims of the access tokens Arkiv5 issues and verifies."""

from __future__ import annotations

from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, field_validator


class TokenClaims(BaseModel):
    """The verified content of an access token.

    `sub` is a person id for people and a client id for systems and services; `scope` is the
    OAuth2 space-separated list (e.g. "journal.documents.read conversion.convert").
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    iss: str
    sub: str
    aud: list[str]
    exp: int
    iat: int
    nbf: int | None = None
    jti: str | None = None
    scope: frozenset[str] = Field(default_factory=frozenset)
    client_id: str | None = None
    person_id: UUID | None = Field(default=None, description="Set when the token acts for a person")
    roles: frozenset[str] = Field(default_factory=frozenset)

    @field_validator("aud", mode="before")
    @classmethod
    def _audience_as_list(cls, value: object) -> object:
        return [value] if isinstance(value, str) else value

    @field_validator("scope", mode="before")
    @classmethod
    def _scope_as_set(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(value.split())
        return value

    def has_scopes(self, *required: str) -> bool:
        return set(required) <= self.scope

    @property
    def is_service(self) -> bool:
        """True for a system or service acting on its own behalf (client credentials)."""
        return self.person_id is None
