"""The OAuth2 token endpoint's decisions: who gets a token, for which audience and scopes.

Client credentials: a system client or one of our services names the audience (the
service it will call) and the scopes; it gets those of its allowed scopes that belong to
that audience. Password: a local account of a person gets a token for the person, with the roles valid
today and the scopes those roles carry (`passwords` checks the account: one-time
passwords, lock-out).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.policy import Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import DomainError

from ..models import Account
from . import passwords, rights, signing
from .secrets import verify_secret

SERVICES = ("journal", "access", "conversion", "svarut-gateway", "intake")

# Scopes a person's roles carry, per audience. Case-level decisions are the policy's; these
# only open the APIs a role has any use for.
PERSON_SCOPES: dict[Role, frozenset[str]] = {
    Role.ARKIVLEDER: frozenset(
        {"journal.read", "journal.write", "journal.admin", "access.rights.read", "access.rights.request",
         "access.rights.approve", "access.rights.admin", "access.audit.read", "access.decisions"}
    ),
    Role.ARKIVTJENESTE: frozenset({"journal.read", "journal.write", "access.rights.read", "access.audit.read"}),
    Role.LEDER: frozenset({"journal.read", "journal.write", "access.rights.read", "access.rights.request"}),
    Role.SAKSBEHANDLER: frozenset({"journal.read", "journal.write"}),
    Role.SYSTEMANSVARLIG: frozenset(
        {"journal.read", "access.rights.read", "access.rights.admin", "access.audit.read"}
    ),
    Role.LESETILGANG: frozenset({"journal.read"}),
}


class OAuthError(DomainError):
    """An RFC 6749 §5.2 error, rendered as problem+json carrying the OAuth2 `error` code."""

    status, slug, title = 400, "invalid-request", "Invalid token request"
    error = "invalid_request"

    def __init__(self, detail: str) -> None:
        super().__init__(detail, error=self.error)


class InvalidClient(OAuthError):
    status, slug, title, error = 401, "invalid-client", "Client authentication failed", "invalid_client"

    def __init__(self) -> None:
        super().__init__("The client credentials are not valid.")


class InvalidGrant(OAuthError):
    slug, title, error = "invalid-grant", "Invalid grant", "invalid_grant"

    def __init__(self) -> None:
        super().__init__("The username or password is not valid.")


class InvalidScope(OAuthError):
    slug, title, error = "invalid-scope", "Invalid scope", "invalid_scope"


class UnsupportedGrantType(OAuthError):
    slug, title, error = "unsupported-grant-type", "Unsupported grant type", "unsupported_grant_type"

    def __init__(self) -> None:
        super().__init__("This grant type is not accepted here.")


class InvalidRequest(OAuthError):
    pass


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_in: int
    scope: str
    token_type: str = "Bearer"


@dataclass(frozen=True)
class TokenPolicy:
    issuer: str
    lifetime_s: int
    person_audiences: tuple[str, ...]


def _audiences(audience: str | None, default: tuple[str, ...]) -> list[str]:
    if audience is None or not audience.strip():
        return list(default)
    wanted = audience.split()
    unknown = [a for a in wanted if a not in SERVICES]
    if unknown:
        raise InvalidRequest(f"Unknown audience; expected one of: {' '.join(SERVICES)}.")
    return wanted


def _grant_scopes(requested: str | None, allowed: frozenset[str], audiences: list[str]) -> list[str]:
    for_audience = {s for s in allowed if s.split(".", 1)[0] in audiences}
    if requested is None or not requested.strip():
        return sorted(for_audience)
    wanted = set(requested.split())
    if not wanted <= for_audience:
        raise InvalidScope("A requested scope is not granted to this client for this audience.")
    return sorted(wanted)


def _claims(policy: TokenPolicy, *, sub: str, audiences: list[str], scopes: list[str], **extra: Any) -> dict[str, Any]:
    issued = clock.now()
    return {
        "iss": policy.issuer,
        "sub": sub,
        "aud": audiences[0] if len(audiences) == 1 else audiences,
        "iat": int(issued.timestamp()),
        "nbf": int(issued.timestamp()),
        "exp": int((issued + timedelta(seconds=policy.lifetime_s)).timestamp()),
        "jti": secrets.token_urlsafe(16),
        "scope": " ".join(scopes),
        **extra,
    }


async def _sign(session: AsyncSession, signer: signing.Signer, claims: dict[str, Any]) -> str:
    return signer.sign(claims, await signing.all_keys(session), clock.now())


async def client_credentials(
    session: AsyncSession, *, signer: signing.Signer, policy: TokenPolicy, client_id: str, client_secret: str,
    audience: str | None, scope: str | None,
) -> IssuedToken:
    account = await session.scalar(select(Account).where(col(Account.client_id) == client_id, col(Account.kind) == "client"))
    if account is None or not (
        verify_secret(account.secret_hash, client_secret, remember=True)
        or (account.next_secret_hash is not None and verify_secret(account.next_secret_hash, client_secret, remember=True))
    ):
        if account is None:
            verify_secret(None, client_secret)  # an unknown client costs the same as a wrong secret
        raise InvalidClient()
    day = clock.today()
    if await rights.is_account_disabled(session, account.id, day):
        raise InvalidClient()
    if not audience:
        raise InvalidRequest("A client-credentials request names its audience (the service it calls).")
    audiences = _audiences(audience, ())
    scopes = _grant_scopes(scope, frozenset(account.allowed_scopes), audiences)
    roles = sorted((await rights.timeline(session, account.id)).rights_on(day).roles)
    claims = _claims(policy, sub=str(account.id), audiences=audiences, scopes=scopes, client_id=client_id, roles=roles)
    return IssuedToken(await _sign(session, signer, claims), policy.lifetime_s, " ".join(scopes))


async def password(
    session: AsyncSession, *, signer: signing.Signer, policy: TokenPolicy, username: str, secret: str,
    audience: str | None, scope: str | None,
) -> IssuedToken:
    account = await passwords.check(session, username=username, password=secret)
    if account is None or account.person_id is None:
        raise InvalidGrant()  # wrong, unknown, locked or disabled: one answer for all
    token = await person_token(session, signer=signer, policy=policy, person_id=account.person_id,
                               audience=audience, scope=scope)
    if token is None:
        raise InvalidGrant()  # no rights today: a leaver, or not started yet
    return token


async def person_token(
    session: AsyncSession, *, signer: signing.Signer, policy: TokenPolicy, person_id: UUID, audience: str | None,
    scope: str | None,
) -> IssuedToken | None:
    """A person's token with the roles valid today and the scopes they carry; None when the
    person holds no role today. The caller has checked the account."""
    principal = await rights.principal_at(session, person_id, clock.today())
    if not principal.roles:
        return None
    allowed = frozenset().union(*(PERSON_SCOPES.get(role, frozenset()) for role in principal.roles))
    audiences = _audiences(audience, policy.person_audiences)
    scopes = _grant_scopes(scope, allowed, audiences)
    claims = _claims(
        policy, sub=str(person_id), audiences=audiences, scopes=scopes,
        person_id=str(person_id), roles=sorted(r.value for r in principal.roles),
    )
    return IssuedToken(await _sign(session, signer, claims), policy.lifetime_s, " ".join(scopes))


def person_id_of(sub: str) -> UUID | None:
    try:
        return UUID(sub)
    except ValueError:
        return None
