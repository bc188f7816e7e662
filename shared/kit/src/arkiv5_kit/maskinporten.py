"""Maskinporten's JWT-grant flow: a signed assertion (python-jose) exchanged for an access token.

One client for every call to KS Fiks that needs a Maskinporten token: the SvarUt gateway's
SvarUt API and intake's Fiks IO send API and katalog.
"""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
from jose import jwt

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class TokenError(Exception):
    """Maskinporten refused or could not be reached (no secrets in the message)."""


class MaskinportenToken:
    """Fetches and caches the access token; refreshes shortly before it expires or on demand."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        token_url: str,
        audience: str,
        client_id: str,
        scope: str,
        private_key_pem: str,
        kid: str | None = None,
        timeout_s: float = 10.0,
        refresh_margin_s: float = 10.0,
    ) -> None:
        self._client = client
        self.token_url = token_url
        self.audience = audience
        self.client_id = client_id
        self.scope = scope
        self._key = private_key_pem
        self.kid = kid
        self.timeout_s = timeout_s
        self.refresh_margin_s = refresh_margin_s
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    def assertion(self) -> str:
        now = int(time.time())
        claims = {"aud": self.audience, "iss": self.client_id, "scope": self.scope,
                  "iat": now, "exp": now + 120, "jti": str(uuid.uuid4())}
        headers = {"kid": self.kid} if self.kid else None
        return jwt.encode(claims, self._key, algorithm="RS256", headers=headers)

    def invalidate(self) -> None:
        self._token = None

    async def get(self) -> str:
        async with self._lock:
            if self._token is None or time.monotonic() >= self._expires_at - self.refresh_margin_s:
                try:
                    response = await self._client.post(
                        self.token_url, data={"grant_type": JWT_GRANT, "assertion": self.assertion()},
                        timeout=self.timeout_s,
                    )
                except httpx.HTTPError as exc:
                    raise TokenError(f"Maskinporten unreachable: {type(exc).__name__}") from None
                if response.status_code != 200:
                    raise TokenError(f"Maskinporten answered {response.status_code}")
                try:
                    body = response.json()
                    self._token = str(body["access_token"])
                    lifetime = float(body.get("expires_in", 60))
                except (ValueError, KeyError):
                    raise TokenError("Maskinporten answered without a token") from None
                self._expires_at = time.monotonic() + lifetime
            assert self._token is not None
            return self._token
