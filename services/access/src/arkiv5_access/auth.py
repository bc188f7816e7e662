"""How the access service checks its own callers' tokens.

It verifies them like every service does (the kit's TokenVerifier), but against its own
key table instead of fetching its own JWKS over HTTP; and because it holds the accounts,
it also refuses at once the token of an account disabled today (other services refuse
it through the policy when AccountDisabled reaches their read model, or when it expires).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from fastapi import Request

from arkiv5_contracts.claims import TokenClaims
from arkiv5_kit.auth import INVALID_TOKEN, JwksCache, require_scopes
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.db import Database
from arkiv5_kit.errors import Forbidden, Unauthorized
from arkiv5_kit.sessions import read_session

from .domain import rights, signing


class LocalJwks(JwksCache):
    """The published keys, read from the database; an unknown kid reloads at most once a second."""

    def __init__(self, database: Database, policy: signing.KeyPolicy) -> None:
        super().__init__()
        self.database = database
        self.policy = policy
        self._loaded_at = 0.0

    async def key(self, kid: str) -> dict[str, Any] | None:
        if kid not in self._keys and time.monotonic() - self._loaded_at >= 1.0:
            await self.reload()
        return self._keys.get(kid)

    def invalidate(self) -> None:
        """After a rotation in this process: the next unknown kid reloads at once."""
        self._loaded_at = 0.0

    def forget(self, kid: str) -> None:
        """A removed (compromised) key: this process stops accepting its tokens at once."""
        self._keys.pop(kid, None)
        self._loaded_at = 0.0

    async def reload(self) -> None:
        async with read_session(self.database) as session:
            keys = signing.published(await signing.all_keys(session), self.policy, clock.now())
        self._keys = {k.kid: k.public_jwk for k in keys}
        self._loaded_at = time.monotonic()


@dataclass(frozen=True)
class Caller:
    claims: TokenClaims
    subject_id: UUID

    @property
    def is_service(self) -> bool:
        return self.claims.is_service


def caller(*scopes: str) -> Callable[[Request], Awaitable[Caller]]:
    """A valid token for access with `scopes`, of an account not disabled today."""
    verified = require_scopes()

    async def dependency(request: Request) -> Caller:
        principal = await verified(request)
        claims = principal.claims
        try:
            subject_id = claims.person_id or UUID(claims.sub)
        except ValueError:
            raise Unauthorized(INVALID_TOKEN) from None
        database: Database = request.app.state.runtime.database
        async with read_session(database) as session:
            if await rights.is_disabled(session, subject_id, clock.today()):
                raise Unauthorized(INVALID_TOKEN)
        if not claims.has_scopes(*scopes):
            raise Forbidden(f"This call needs the scope(s): {' '.join(scopes)}.")
        return Caller(claims, subject_id)

    return dependency
