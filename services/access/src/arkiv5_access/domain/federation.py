"""Federated sign-in: the RFC 8693 token exchange with the municipality's identity provider.

A person signs in at a trusted issuer (Entra ID, ID-porten, Keycloak …); the front end
exchanges that issuer's ID or access token at our token endpoint for an Arkiv5 token. The
issuer only proves who the person is: its token is verified with the kit's TokenVerifier
against the issuer's own JWKS (signature by `kid`, RS256/ES256 only, issuer, audience,
expiry), the configured identifier claim is looked up among the linked identities, and the
person gets the same token as any sign-in: roles and scopes from the rights held today,
which stay in access where the change requests put them.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

import httpx
from jose import jwt
from jose.exceptions import JOSEError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.policy import Role
from arkiv5_kit.auth import JwksCache, TokenVerifier
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import Conflict, Forbidden, Unauthorized, Unprocessable

from ..models import Account, ExternalIdentity, Person
from ..settings import TrustedIssuer
from . import audit, rights, signing, tokens
from .service import Actor

log = logging.getLogger(__name__)

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"
SUBJECT_TOKEN_TYPES = frozenset(
    {"urn:ietf:params:oauth:token-type:id_token", ACCESS_TOKEN_TYPE, "urn:ietf:params:oauth:token-type:jwt"}
)
# Far enough ahead to see every disablement already decided, however far off its date.
_END_OF_TIME = date(2999, 12, 31)


class SubjectTokenRefused(tokens.OAuthError):
    """RFC 8693 §2.2.2: an unacceptable subject token is `invalid_request`; the problem type
    says which check refused it, so a front end can tell the person what to do."""

    slug, title, error = "invalid-subject-token", "Subject token refused", "invalid_request"
    message = "The subject token is invalid or expired."

    def __init__(self) -> None:
        super().__init__(self.message)


class InvalidSubjectToken(SubjectTokenRefused):
    pass


class UntrustedIssuer(SubjectTokenRefused):
    slug, message = "untrusted-issuer", "The subject token's issuer is not a trusted issuer here."


class MissingIdentifier(SubjectTokenRefused):
    message = "The subject token lacks the identifier claim configured for its issuer."


class UnlinkedIdentity(SubjectTokenRefused):
    slug = "unlinked-identity"
    message = "This identity is not linked to an Arkiv5 account; the archive links it on request."


class AccountDisabled(SubjectTokenRefused):
    slug, message = "account-disabled", "The account this identity signs in to is disabled."


class NoRightsToday(SubjectTokenRefused):
    slug, message = "no-rights", "The person holds no rights today."


@dataclass(frozen=True)
class _Trusted:
    config: TrustedIssuer
    verifier: TokenVerifier


class Federation:
    """The trusted issuers, each with its own verifier and cached JWKS (fetched on first use,
    again when an unknown `kid` appears, at most every 30 s, as for our own keys)."""

    def __init__(
        self, issuers: Sequence[TrustedIssuer], *, leeway_s: int, client: httpx.AsyncClient | None = None
    ) -> None:
        self._issuers = {
            config.issuer: _Trusted(
                config,
                TokenVerifier(JwksCache(config.jwks_url, client=client), issuer=config.issuer,
                              audience=config.audience, leeway_s=leeway_s),
            )
            for config in issuers
        }

    def trusts(self, issuer: str) -> bool:
        return issuer in self._issuers

    async def identify(self, subject_token: str) -> tuple[str, str]:
        """(issuer, identifier) of a verified subject token."""
        try:
            issuer = jwt.get_unverified_claims(subject_token).get("iss")
        except JOSEError:
            raise InvalidSubjectToken() from None
        trusted = self._issuers.get(issuer) if isinstance(issuer, str) else None
        if trusted is None:
            raise UntrustedIssuer()
        try:
            await trusted.verifier.verify(subject_token)
        except Unauthorized:
            raise InvalidSubjectToken() from None
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # The issuer's JWKS was not a JWKS; the kit keeps what it had and fails the kid.
            log.warning("trusted issuer's JWKS unusable", extra={"error_type": type(error).__name__})
            raise InvalidSubjectToken() from None
        # Verified just now; TokenClaims keeps only our own claims, so read the issuer's.
        identifier = jwt.get_unverified_claims(subject_token).get(trusted.config.subject_claim)
        if not isinstance(identifier, str) or not identifier.strip() or len(identifier) > 255:
            raise MissingIdentifier()
        return issuer, identifier


async def exchange(
    session: AsyncSession, *, federation: Federation, signer: signing.Signer, policy: tokens.TokenPolicy,
    subject_token: str, audience: str | None, scope: str | None,
) -> tokens.IssuedToken:
    issuer, subject = await federation.identify(subject_token)
    account = await session.scalar(
        select(Account).join(ExternalIdentity, col(ExternalIdentity.account_id) == col(Account.id))
        .where(col(ExternalIdentity.issuer) == issuer, col(ExternalIdentity.subject) == subject)
    )
    if account is None or account.person_id is None:
        raise UnlinkedIdentity()
    if await rights.is_account_disabled(session, account.id, clock.today()):
        raise AccountDisabled()
    issued = await tokens.person_token(session, signer=signer, policy=policy, person_id=account.person_id,
                                       audience=audience, scope=scope)
    if issued is None:
        raise NoRightsToday()
    return issued


# --- linking (the archive's administrators) ----------------------------------------------------


async def link(
    session: AsyncSession, *, federation: Federation, actor: Actor, person_id: UUID, issuer: str, subject: str
) -> tuple[ExternalIdentity, Account]:
    """Links an identity at a trusted issuer to a new federated account of the person."""
    if not actor.has(Role.ARKIVLEDER, Role.SYSTEMANSVARLIG):
        raise Forbidden("Linking identities needs the role arkivleder or systemansvarlig.")
    if not federation.trusts(issuer):
        raise Unprocessable("The issuer is not one of the trusted issuers (ACCESS_TRUSTED_ISSUERS).")
    if await session.get(Person, person_id) is None:
        raise Unprocessable("A person named in the request does not exist.")
    # Serialised with the person's rights changes: a leaver approved at the same time either
    # sees this account and disables it, or is seen here.
    await rights.lock_subject(session, person_id)
    if await rights.accounts_of(session, person_id) and await rights.is_disabled(session, person_id, _END_OF_TIME):
        raise Conflict("Every account of this person is disabled (a leaver); no identity is linked to them.")
    if await session.scalar(
        select(col(ExternalIdentity.id)).where(col(ExternalIdentity.issuer) == issuer, col(ExternalIdentity.subject) == subject)
    ) is not None:
        raise Conflict("This identity is linked already.")
    account = Account(kind="federated", person_id=person_id, secret_hash="", allowed_scopes=[], created_at=clock.now())
    session.add(account)
    await session.flush()
    identity = ExternalIdentity(issuer=issuer, subject=subject, account_id=account.id, linked_by=actor.subject_id,
                                created_at=clock.now())
    session.add(identity)
    await session.flush()
    await audit.record(session, action="external-identity.linked", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=person_id, object_type="external-identity", object_id=identity.id,
                       details={"issuer": issuer, "account_id": str(account.id)})
    return identity, account


async def links(session: AsyncSession, *, person_id: UUID | None) -> list[tuple[ExternalIdentity, Account]]:
    query = select(ExternalIdentity, Account).join(Account, col(ExternalIdentity.account_id) == col(Account.id))
    if person_id is not None:
        query = query.where(col(Account.person_id) == person_id)
    rows = await session.execute(query.order_by(col(ExternalIdentity.created_at)))
    return [(identity, account) for identity, account in rows.all()]
