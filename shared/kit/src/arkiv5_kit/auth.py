"""Tokens, behind one module: JWT verification against a JWKS, and client credentials.

Only asymmetric algorithms are accepted (RS256, ES256) and the key is chosen by `kid` from
the issuer's JWKS, so `alg: none` and HS256-signed-with-the-public-key tokens fail. An
unknown `kid` refreshes the cached JWKS at most once per `min_refresh_s` (key rotation
without downtime), then fails. Every refusal is the same 401 with no detail of why.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

import httpx
from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jose import jwk, jwt
from jose.exceptions import JOSEError
from pydantic import ValidationError

from arkiv5_contracts.claims import TokenClaims

from .errors import Forbidden, Unauthorized

ALLOWED_ALGORITHMS = ("RS256", "ES256")
_KEY_TYPE_OF = {"RS256": "RSA", "ES256": "EC"}
INVALID_TOKEN = "The access token is missing, invalid or expired."


class JwksCache:
    """The issuer's public keys, fetched over HTTP and kept until a `kid` is unknown."""

    def __init__(
        self,
        url: str | None = None,
        *,
        client: httpx.AsyncClient | None = None,
        keys: list[dict[str, Any]] | None = None,
        max_age_s: float = 3600,
        min_refresh_s: float = 30,
    ) -> None:
        self.url = url
        self._client = client
        self._keys: dict[str, dict[str, Any]] = {k["kid"]: k for k in keys or []}
        self._fetched_at = time.monotonic() if keys else 0.0
        self.max_age_s = max_age_s
        self.min_refresh_s = min_refresh_s
        self._lock = asyncio.Lock()

    def current(self, kid: str) -> dict[str, Any] | None:
        """The key held now for `kid`, without fetching (None when unknown or due a refresh)."""
        if time.monotonic() - self._fetched_at >= self.max_age_s:
            return None
        return self._keys.get(kid)

    async def key(self, kid: str) -> dict[str, Any] | None:
        now = time.monotonic()
        if kid in self._keys and now - self._fetched_at < self.max_age_s:
            return self._keys[kid]
        if self.url is None:
            return self._keys.get(kid)
        async with self._lock:
            if kid not in self._keys and time.monotonic() - self._fetched_at >= self.min_refresh_s:
                await self._refresh()
            elif kid in self._keys and time.monotonic() - self._fetched_at >= self.max_age_s:
                await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        assert self.url is not None
        client = self._client or httpx.AsyncClient(timeout=5)
        try:
            response = await client.get(self.url)
            response.raise_for_status()
            self._keys = {k["kid"]: k for k in response.json().get("keys", []) if "kid" in k}
        except (httpx.HTTPError, ValueError):
            pass  # keep the keys we have; an unknown kid still fails
        finally:
            self._fetched_at = time.monotonic()
            if self._client is None:
                await client.aclose()


class TokenVerifier:
    """Verifies bearer tokens; a token already verified is recognised until it expires.

    A client sends the same token with every request for its lifetime, and checking the
    signature again each time is most of the cost of a request's authentication. A cached
    token is still refused once it expires, and as soon as its signing key is no longer
    the one in the JWKS (a key taken out at rotation).
    """

    CACHE_SIZE = 10_000

    def __init__(self, jwks: JwksCache, *, issuer: str, audience: str, leeway_s: int = 30) -> None:
        self.jwks = jwks
        self.issuer = issuer
        self.audience = audience
        self.leeway_s = leeway_s
        # Building the public key object is most of a verification's cost: keep it per JWK.
        self._parsed: dict[str, tuple[dict[str, Any], Any]] = {}
        self._verified: OrderedDict[str, tuple[TokenClaims, float, str, dict[str, Any]]] = OrderedDict()

    def _recognised(self, token: str) -> TokenClaims | None:
        entry = self._verified.get(token)
        if entry is None:
            return None
        claims, expires_at, kid, key = entry
        if time.time() > expires_at + self.leeway_s or self.jwks.current(kid) is not key:
            del self._verified[token]
            return None
        self._verified.move_to_end(token)
        return claims

    def _remember(self, token: str, claims: TokenClaims, kid: str, key: dict[str, Any]) -> None:
        self._verified[token] = (claims, float(claims.exp), kid, key)
        if len(self._verified) > self.CACHE_SIZE:
            self._verified.popitem(last=False)

    def _parsed_key(self, kid: str, key: dict[str, Any], alg: str) -> Any:
        cached = self._parsed.get(kid)
        if cached is None or cached[0] is not key:
            cached = (key, jwk.construct(key, alg))
            self._parsed[kid] = cached
        return cached[1]

    async def verify(self, token: str) -> TokenClaims:
        recognised = self._recognised(token)
        if recognised is not None:
            return recognised
        try:
            header = jwt.get_unverified_header(token)
        except JOSEError:
            raise Unauthorized(INVALID_TOKEN) from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALLOWED_ALGORITHMS or not isinstance(kid, str):
            raise Unauthorized(INVALID_TOKEN)
        key = await self.jwks.key(kid)
        if key is None or key.get("kty") != _KEY_TYPE_OF[alg] or key.get("alg", alg) != alg:
            raise Unauthorized(INVALID_TOKEN)
        try:
            payload = jwt.decode(
                token,
                self._parsed_key(kid, key, alg),
                algorithms=[alg],
                audience=self.audience,
                issuer=self.issuer,
                options={"require_exp": True, "require_iat": True, "require_sub": True, "leeway": self.leeway_s},
            )
            claims = TokenClaims.model_validate(payload)
        except (JOSEError, ValidationError):
            raise Unauthorized(INVALID_TOKEN) from None
        self._remember(token, claims, kid, key)
        return claims


@dataclass
class Principal:
    """Who is calling, as verified from the token."""

    claims: TokenClaims

    @property
    def subject(self) -> str:
        return self.claims.sub


# Declares the bearer token in every operation's OpenAPI (the Authorize button of /docs);
# the token itself is read and verified below, so one refusal text serves every failure.
BEARER_SCHEME = HTTPBearer(
    auto_error=False, bearerFormat="JWT",
    description="An access token from the access service's /oauth2/token endpoint",
)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthorized(INVALID_TOKEN)
    return token.strip()


AccountCheck = Callable[[TokenClaims], Awaitable[bool]]
"""A service's own answer to "is this token's account disabled?" (from its read model of the
access service's AccountDisabled events), set as `app.state.account_disabled`."""


def require_scopes(*scopes: str) -> Callable[[Request], Awaitable[Principal]]:
    """FastAPI dependency: a valid token for this service with every one of `scopes`.

    A token whose account the service knows to be disabled is refused like every other
    invalid token (401, the same text), before its scopes are looked at: a disabled
    account's token is no longer a token, whatever it still carries.
    """

    async def dependency(
        request: Request,
        _declared: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER_SCHEME)] = None,
    ) -> Principal:
        verifier: TokenVerifier | None = getattr(request.app.state, "token_verifier", None)
        if verifier is None:
            raise Unauthorized(INVALID_TOKEN)
        claims = await verifier.verify(bearer_token(request))
        account_disabled: AccountCheck | None = getattr(request.app.state, "account_disabled", None)
        if account_disabled is not None and await account_disabled(claims):
            raise Unauthorized(INVALID_TOKEN)
        if not claims.has_scopes(*scopes):
            raise Forbidden(f"This call needs the scope(s): {' '.join(scopes)}.")
        return Principal(claims)

    return dependency


PrincipalDep = Annotated[Principal, Depends(require_scopes())]


class ClientCredentials(httpx.Auth):
    """httpx auth for service-to-service calls: an OAuth2 client-credentials token, cached.

    The token is fetched on first use and again shortly before it expires, or once after
    the called service answers 401 (a rotated key or a revoked token).
    """

    requires_response_body = True

    def __init__(
        self,
        token_url: str,
        *,
        client_id: str,
        client_secret: str,
        audience: str,
        scopes: list[str],
        client: httpx.AsyncClient | None = None,
        refresh_margin_s: float = 30,
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self.client_secret = client_secret
        self.audience = audience
        self.scopes = scopes
        self._client = client
        self.refresh_margin_s = refresh_margin_s
        self._token: str | None = None
        self._expires_at = 0.0
        self._lock = asyncio.Lock()

    async def token(self, *, force: bool = False) -> str:
        async with self._lock:
            if force or self._token is None or time.monotonic() >= self._expires_at - self.refresh_margin_s:
                client = self._client or httpx.AsyncClient(timeout=10)
                try:
                    response = await client.post(
                        self.token_url,
                        data={
                            "grant_type": "client_credentials",
                            "scope": " ".join(self.scopes),
                            "audience": self.audience,
                        },
                        auth=(self.client_id, self.client_secret),
                    )
                    response.raise_for_status()
                    body = response.json()
                finally:
                    if self._client is None:
                        await client.aclose()
                self._token = body["access_token"]
                self._expires_at = time.monotonic() + float(body.get("expires_in", 300))
            assert self._token is not None
            return self._token

    def for_audience(self, audience: str, scopes: Sequence[str]) -> ClientCredentials:
        """The same client's credentials, as tokens for another service: each service takes
        only tokens with its own audience, and access grants only the scopes it lists for
        the client."""
        return ClientCredentials(
            self.token_url, client_id=self.client_id, client_secret=self.client_secret, audience=audience,
            scopes=list(scopes), client=self._client, refresh_margin_s=self.refresh_margin_s,
        )

    async def async_auth_flow(self, request: httpx.Request):  # type: ignore[no-untyped-def]
        request.headers["Authorization"] = f"Bearer {await self.token()}"
        response = yield request
        if response.status_code == 401:
            request.headers["Authorization"] = f"Bearer {await self.token(force=True)}"
            yield request
