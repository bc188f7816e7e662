"""Token signing keys: generation, encryption at rest, the JWKS, rotation, and signing.

Behind one module: cryptography makes and protects the keys, python-jose signs. A key is
in the JWKS from its creation and signs from `activates_at`, so a rotated-in key is
published before its first token (verifiers that cached the old JWKS find it on their
next refresh). The newest active key signs; an older key stays in the JWKS until every
token it signed has expired (its successor's activation + token lifetime + leeway).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jose import jwk, jwt
from jose.backends.base import Key
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.clock import as_utc
from arkiv5_kit.errors import Conflict, NotFound

from ..models import SigningKey


class SigningUnavailable(RuntimeError):
    """No key is active yet (only at the very first start, before `ensure_signing_key`)."""


@dataclass(frozen=True)
class KeyPolicy:
    alg: str
    passphrase: bytes | None
    token_lifetime_s: int
    leeway_s: int
    publish_ahead_s: float


def _generate(alg: str) -> Any:
    if alg == "ES256":
        return ec.generate_private_key(ec.SECP256R1())
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(private_key: Any, passphrase: bytes | None) -> str:
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(passphrase) if passphrase else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode()


async def create_key(session: AsyncSession, policy: KeyPolicy, *, activates_at: datetime) -> SigningKey:
    private_key = _generate(policy.alg)
    plain_pem = _pem(private_key, None)
    kid = f"{clock.now():%Y%m%d}-{secrets.token_hex(6)}"
    public = jwk.construct(plain_pem, policy.alg).public_key().to_dict()
    public.update(kid=kid, alg=policy.alg, use="sig")
    row = SigningKey(
        kid=kid,
        alg=policy.alg,
        public_jwk=public,
        private_pem=_pem(private_key, policy.passphrase),
        is_encrypted=policy.passphrase is not None,
        activates_at=activates_at,
        created_at=clock.now(),
    )
    session.add(row)
    await session.flush()
    return row


async def all_keys(session: AsyncSession) -> list[SigningKey]:
    return list((await session.scalars(select(SigningKey).order_by(col(SigningKey.activates_at)))).all())


def _retired(key: SigningKey) -> datetime | None:
    return as_utc(key.retired_at) if key.retired_at is not None else None


def _signs_at(key: SigningKey, at: datetime) -> bool:
    retired = _retired(key)
    return as_utc(key.activates_at) <= at and (retired is None or at < retired)


def published(keys: list[SigningKey], policy: KeyPolicy, at: datetime) -> list[SigningKey]:
    """Keys in the JWKS at `at`: every key until it has stopped signing (a successor
    activated, or it was retired) long enough for the last token it signed to expire."""
    grace = timedelta(seconds=policy.token_lifetime_s + policy.leeway_s)
    active = [k for k in keys if as_utc(k.activates_at) <= at]
    result = []
    for key in keys:
        successors = [k for k in active if as_utc(k.activates_at) > as_utc(key.activates_at)]
        stopped = [as_utc(k.activates_at) for k in successors] + ([r] if (r := _retired(key)) is not None else [])
        stopped_at = min(stopped, default=None)
        if stopped_at is None or at < stopped_at + grace:
            result.append(key)
    return result


def signing_key(keys: list[SigningKey], at: datetime) -> SigningKey | None:
    active = [k for k in keys if _signs_at(k, at)]
    return max(active, key=lambda k: as_utc(k.activates_at), default=None)


async def ensure_signing_key(session: AsyncSession, policy: KeyPolicy) -> None:
    """The first start makes a key that signs at once (nothing can have cached a JWKS)."""
    if not await all_keys(session):
        await create_key(session, policy, activates_at=clock.now())


async def rotate(session: AsyncSession, policy: KeyPolicy) -> SigningKey:
    return await create_key(session, policy, activates_at=clock.now() + timedelta(seconds=policy.publish_ahead_s))


# --- the operator's steps (operations.md, "Rotating signing keys"): add, activate, retire, remove ---


class KeyNotFound(NotFound):
    def __init__(self) -> None:
        super().__init__("No such signing key.")


async def _key(session: AsyncSession, kid: str) -> SigningKey:
    key = await session.get(SigningKey, kid, with_for_update=True)
    if key is None:
        raise KeyNotFound()
    return key


NOT_YET = datetime(9999, 1, 1, tzinfo=UTC)


async def add(session: AsyncSession, policy: KeyPolicy) -> SigningKey:
    """A new key, published in the JWKS at once, signing only once activated."""
    return await create_key(session, policy, activates_at=NOT_YET)


async def activate(session: AsyncSession, policy: KeyPolicy, kid: str, *, immediately: bool = False) -> SigningKey:
    """The key signs from now. Not before verifiers can have fetched it (the publish-ahead time
    since it was added) unless `immediately` (a compromised key is being replaced)."""
    key = await _key(session, kid)
    now = clock.now()
    if key.retired_at is not None:
        raise Conflict("A retired key does not sign again; add a new one.")
    if as_utc(key.activates_at) <= now:
        return key
    ready = as_utc(key.created_at) + timedelta(seconds=policy.publish_ahead_s)
    if now < ready and not immediately:
        raise Conflict(f"The key has been published for less than the publish-ahead time; activate it after "
                       f"{ready.isoformat()} (or immediately, when replacing a compromised key).")
    key.activates_at = now
    await session.flush()
    return key


def _another_signer(keys: list[SigningKey], kid: str, at: datetime) -> bool:
    return any(k.kid != kid and _signs_at(k, at) for k in keys)


async def retire(session: AsyncSession, kid: str) -> SigningKey:
    """The key stops signing now; it stays in the JWKS until the last token it signed expired."""
    key = await _key(session, kid)
    now = clock.now()
    if key.retired_at is not None:
        return key
    if _signs_at(key, now) and not _another_signer(await all_keys(session), kid, now):
        raise Conflict("This is the only key that signs: add and activate another first.")
    key.retired_at = now
    await session.flush()
    return key


async def remove(session: AsyncSession, kid: str) -> None:
    """A compromised key leaves the JWKS at once: every token it signed stops verifying as
    soon as verifiers refresh. Another key must sign (activate one immediately first)."""
    key = await _key(session, kid)
    now = clock.now()
    if not _another_signer(await all_keys(session), kid, now):
        raise Conflict("No other key signs: add one and activate it immediately, then remove this one.")
    await session.delete(key)
    await session.flush()


class Signer:
    """Signs tokens with the newest active key; decrypted keys are kept in memory by kid."""

    def __init__(self, policy: KeyPolicy) -> None:
        self.policy = policy
        self._keys: dict[str, Key] = {}

    def _key(self, row: SigningKey) -> Key:
        key = self._keys.get(row.kid)
        if key is None:
            private = serialization.load_pem_private_key(
                row.private_pem.encode(), password=self.policy.passphrase if row.is_encrypted else None
            )
            key = jwk.construct(_pem(private, None), row.alg)
            self._keys[row.kid] = key
        return key

    def sign(self, claims: dict[str, Any], keys: list[SigningKey], at: datetime) -> str:
        row = signing_key(keys, at)
        if row is None:
            raise SigningUnavailable("no active signing key")
        return jwt.encode(claims, self._key(row), algorithm=row.alg, headers={"kid": row.kid, "typ": "JWT"})
