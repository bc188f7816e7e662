"""HTTP Basic login (RFC 7617) on the Noark 5 interface, for clients that know no OAuth 2.

The journal holds no passwords. A request with `Authorization: Basic …` is turned into the
token the access service's password grant gives the same person (the endpoint the root
advertises), and then handled exactly as a request that brought that token: the same
verification, scopes and policy. So a wrong password, a locked or disabled account and the
access service's lockout after repeated failures work as for any sign-in, and the decision
stays in one place.

The token is kept in the journal's memory until shortly before it expires, keyed by a
SHA-256 of the header (never the password itself), so a client that sends Basic on every
request costs one sign-in per token lifetime, not one per request. Failures are not kept:
each is the access service's to count. A kept token that is refused (its account disabled
since, its signing key retired) is forgotten, so the next request signs in again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import time
from dataclasses import dataclass

import httpx
from fastapi import Request

from arkiv5_kit.errors import Unauthorized
from arkiv5_kit.internal_client import ServiceUnavailable

from ..api.deps import ctx_of

# A token is used until this long before it expires, so it is never sent stale.
_EXPIRY_MARGIN_S = 30
_TIMEOUT_S = 10
# At most this many cached sign-ins; the oldest goes first (a busy client re-signs once).
_MAX_CACHED = 1000


@dataclass(frozen=True, slots=True)
class _Cached:
    token: str
    until: float


def _tokens(request: Request) -> dict[str, _Cached]:
    """The journal app's kept sign-ins (one per app, so one per access service it trusts)."""
    state = request.app.state
    if not hasattr(state, "noark5_basic_tokens"):
        state.noark5_basic_tokens = {}
    tokens: dict[str, _Cached] = state.noark5_basic_tokens
    return tokens


def token_endpoint(request: Request) -> str:
    """The access service's token endpoint as a client reaches it."""
    settings = ctx_of(request).settings
    if settings.noark5_token_endpoint:
        return settings.noark5_token_endpoint
    if settings.jwks_url and settings.jwks_url.endswith("/.well-known/jwks.json"):
        return settings.jwks_url.removesuffix("/.well-known/jwks.json") + "/oauth2/token"
    # The suite serves access beside the journal on the same origin.
    return f"{request.url.scheme}://{request.url.netloc}/access/oauth2/token"


def _credentials(header: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(header.split(" ", 1)[1].strip(), validate=True).decode("utf-8")
    except (IndexError, binascii.Error, UnicodeDecodeError):
        raise Unauthorized("The Basic credentials are not base64 of user-id:password.") from None
    username, sep, password = decoded.partition(":")
    if not sep or not username or not password:
        raise Unauthorized("The Basic credentials are not base64 of user-id:password.")
    return username, password


def _sign_in_endpoint(request: Request) -> str:
    """Where the journal itself reaches the token endpoint: beside the JWKS it already fetches
    (inside the cluster), else where clients are told to go."""
    jwks_url = ctx_of(request).settings.jwks_url
    if jwks_url and jwks_url.endswith("/.well-known/jwks.json"):
        return jwks_url.removesuffix("/.well-known/jwks.json") + "/oauth2/token"
    return token_endpoint(request)


async def _sign_in(request: Request, username: str, password: str) -> _Cached:
    endpoint = _sign_in_endpoint(request)
    try:
        async with httpx.AsyncClient(timeout=_TIMEOUT_S) as client:
            response = await client.post(endpoint, data={
                "grant_type": "password", "username": username, "password": password})
    except httpx.HTTPError:
        raise ServiceUnavailable("The access service did not answer the sign-in; try again.") from None
    if response.status_code in (400, 401, 403):
        # Wrong password, unknown, locked or disabled account: the access service does not say which.
        raise Unauthorized("The user-id or password is not accepted.")
    if response.status_code != 200:
        raise ServiceUnavailable("The access service could not sign the user in; try again.")
    answer = response.json()
    lifetime = float(answer.get("expires_in", 0))
    return _Cached(token=str(answer["access_token"]), until=time.monotonic() + lifetime - _EXPIRY_MARGIN_S)


async def exchange(request: Request) -> str | None:
    """If the request signs in with Basic, let it carry the person's bearer token instead;
    answers the key of the kept token (for `forget`), or None for any other request."""
    header = request.headers.get("authorization", "")
    if header[:6].lower() != "basic ":
        return None
    key = hashlib.sha256(header.encode()).hexdigest()
    tokens = _tokens(request)
    cached = tokens.get(key)
    if cached is None or cached.until <= time.monotonic():
        cached = await _sign_in(request, *_credentials(header))
        if len(tokens) >= _MAX_CACHED:
            tokens.pop(next(iter(tokens)))
        tokens[key] = cached
    bearer = f"Bearer {cached.token}".encode()
    request.scope["headers"] = [(k, v) for k, v in request.scope["headers"] if k != b"authorization"]
    request.scope["headers"].append((b"authorization", bearer))
    # Starlette caches the parsed headers; read them again from the scope.
    request.__dict__.pop("_headers", None)
    return key


def forget(request: Request, key: str) -> None:
    """The kept token was refused: the next request signs in afresh."""
    _tokens(request).pop(key, None)
