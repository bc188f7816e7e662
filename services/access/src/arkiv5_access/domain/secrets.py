"""Password and client-secret hashing, behind one module (argon2id via argon2-cffi)."""

from __future__ import annotations

import hashlib
import hmac
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()

# Verifying against this when the account does not exist costs the same as a real check,
# so the response time does not tell which usernames exist.
_DUMMY_HASH = _hasher.hash("arkiv5-no-such-account")

# Client credentials are presented on every token request, and argon2 deliberately costs
# tens of milliseconds. A verified (hash, secret) pair is remembered in this process as a
# keyed digest (never the secret), so a busy client pays it once; a changed hash misses.
_PEPPER = os.urandom(32)
_VERIFIED: dict[bytes, None] = {}
_VERIFIED_MAX = 4096


def hash_secret(secret: str) -> str:
    return _hasher.hash(secret)


def verify_secret(secret_hash: str | None, secret: str, *, remember: bool = False) -> bool:
    if secret_hash is None:
        _check(_DUMMY_HASH, secret)
        return False
    digest = hmac.digest(_PEPPER, f"{secret_hash}\0{secret}".encode(), hashlib.sha256)
    if remember and digest in _VERIFIED:
        return True
    if not _check(secret_hash, secret):
        return False
    if remember:
        if len(_VERIFIED) >= _VERIFIED_MAX:
            _VERIFIED.clear()
        _VERIFIED[digest] = None
    return True


def _check(secret_hash: str, secret: str) -> bool:
    try:
        return _hasher.verify(secret_hash, secret)
    except (VerificationError, InvalidHashError):
        return False
