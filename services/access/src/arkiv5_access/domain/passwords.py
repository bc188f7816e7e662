"""Local passwords: a one-time password set by the arkivleder, changed by the person on first
use, and lock-out after repeated failures.

Hashing is `secrets` (argon2id). A failed sign-in is counted even though the refused
request rolls back: the failure is noted on the session and written in a transaction of
its own afterwards (see `api.deps`), like the sporingslogg's denials. Nothing here ever
logs, audits or returns a password, and the log names the account by id only.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts.policy import Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.errors import Conflict, DomainError, NotFound, Unprocessable

from ..models import Account, Person

__all__ = ["Account", "PasswordChangeRequired", "PasswordRules", "WeakPassword"]
from . import audit, rights
from .secrets import hash_secret, verify_secret
from .service import Actor, _require

log = logging.getLogger(__name__)

FAILURES = "arkiv5.access.failed_logins"


@dataclass(frozen=True)
class PasswordRules:
    min_length: int
    max_failures: int


class PasswordChangeRequired(DomainError):
    """The account holds a one-time password: the person sets their own before any token."""

    status, slug, title = 400, "password-change-required", "Password change required"

    def __init__(self) -> None:
        super().__init__("This account has a one-time password. Set your own with POST /password-change first.",
                         error="invalid_grant")


class WeakPassword(Unprocessable):
    slug, title = "weak-password", "Password does not meet the rules"


async def local_account(session: AsyncSession, person_id: UUID) -> Account | None:
    return await session.scalar(
        select(Account).where(col(Account.person_id) == person_id, col(Account.kind) == "local"))


async def set_one_time(
    session: AsyncSession, *, actor: Actor, person_id: UUID, username: str | None
) -> tuple[Account, str]:
    """The arkivleder gives a person a one-time password (a new local account if a username is
    given and the person has none); it is returned once and must be changed on first use.
    Setting it also lifts a lock-out."""
    _require(actor, Role.ARKIVLEDER)
    if await session.get(Person, person_id) is None:
        raise NotFound("No such person.")
    if person_id == actor.subject_id:
        raise Conflict("The arkivleder changes their own password with POST /password-change.")
    account = await local_account(session, person_id)
    one_time = secrets.token_urlsafe(12)
    if account is None:
        if username is None:
            raise Unprocessable("The person has no local account: name its username.")
        if await session.scalar(select(col(Account.id)).where(col(Account.username) == username)) is not None:
            raise Conflict("This username is taken.")
        account = Account(kind="local", person_id=person_id, username=username, secret_hash=hash_secret(one_time),
                          must_change_password=True, created_at=clock.now())
        session.add(account)
    else:
        if username is not None and username != account.username:
            raise Conflict("The person's local account has another username.")
        account.secret_hash = hash_secret(one_time)
        account.must_change_password = True
        account.failed_logins = 0
        account.locked_at = None
    await session.flush()
    await audit.record(session, action="password.one-time-set", outcome="allowed", actor_id=actor.subject_id,
                       subject_id=person_id, details={"account_id": str(account.id)})
    log.info("one-time password set", extra={"account_id": str(account.id)})
    return account, one_time


async def unlock(session: AsyncSession, *, actor: Actor, person_id: UUID) -> Account:
    _require(actor, Role.ARKIVLEDER)
    account = await local_account(session, person_id)
    if account is None:
        raise NotFound("The person has no local account.")
    if account.locked_at is not None or account.failed_logins:
        account.locked_at = None
        account.failed_logins = 0
        await session.flush()
        await audit.record(session, action="account.unlocked", outcome="allowed", actor_id=actor.subject_id,
                           subject_id=person_id, details={"account_id": str(account.id)})
        log.info("account unlocked", extra={"account_id": str(account.id)})
    return account


def _note_failure(session: AsyncSession, account: Account | None) -> None:
    if account is not None:
        session.info.setdefault(FAILURES, []).append(account.id)


async def write_failures(session: AsyncSession, account_ids: list[UUID], rules: PasswordRules) -> None:
    """Counts failed sign-ins (in their own transaction, after the refused request rolled back)."""
    for account_id in account_ids:
        account = await session.get(Account, account_id, with_for_update=True)
        if account is None:
            continue
        account.failed_logins += 1
        locks_now = account.locked_at is None and account.failed_logins >= rules.max_failures
        if locks_now:
            account.locked_at = clock.now()
        await session.flush()
        await audit.record(session, action="password.failed", outcome="denied", actor_id=account.person_id,
                           subject_id=account.person_id, rule="password.wrong",
                           details={"account_id": str(account.id), "failures": account.failed_logins})
        if locks_now:
            await audit.record(session, action="account.locked", outcome="allowed", actor_id=None,
                               subject_id=account.person_id, rule="password.too-many-failures",
                               details={"account_id": str(account.id), "failures": account.failed_logins})
            log.warning("account locked after repeated failed sign-ins",
                        extra={"account_id": str(account.id), "failures": account.failed_logins})


async def check(session: AsyncSession, *, username: str, password: str, allow_one_time: bool = False) -> Account | None:
    """The local account these credentials open, or None (a failure is counted when the account exists).

    A locked account is refused without checking the password, and the answer looks the same
    as a wrong password, so a locked account tells nobody that its username exists.
    """
    account = await session.scalar(select(Account).where(col(Account.username) == username, col(Account.kind) == "local"))
    if account is not None and account.locked_at is not None:
        verify_secret(None, password)  # same cost as a real check
        _note_failure(session, account)
        return None
    if not verify_secret(account.secret_hash if account else None, password) or account is None:
        _note_failure(session, account)
        return None
    if account.person_id is None or await rights.is_account_disabled(session, account.id, clock.today()):
        return None
    if account.must_change_password and not allow_one_time:
        raise PasswordChangeRequired()
    if account.failed_logins:
        account.failed_logins = 0
        await session.flush()
    return account


def _check_rules(new_password: str, rules: PasswordRules) -> None:
    if len(new_password) < rules.min_length:
        raise WeakPassword(f"A password has at least {rules.min_length} characters.")
    if len(new_password) > 256:
        raise WeakPassword("A password has at most 256 characters.")
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in new_password):
        raise WeakPassword("A password must not contain control characters.")


async def change(
    session: AsyncSession, *, username: str, password: str, new_password: str, rules: PasswordRules
) -> Account:
    """The person sets their own password with the current (or one-time) one."""
    account = await check(session, username=username, password=password, allow_one_time=True)
    if account is None:
        from .tokens import InvalidGrant  # tokens imports this module

        raise InvalidGrant()
    _check_rules(new_password, rules)
    if new_password == password:
        raise WeakPassword("The new password is the one in use.")
    was_one_time = account.must_change_password
    account.secret_hash = hash_secret(new_password)
    account.must_change_password = False
    await session.flush()
    await audit.record(session, action="password.changed", outcome="allowed", actor_id=account.person_id,
                       subject_id=account.person_id, details={"account_id": str(account.id), "was_one_time": was_one_time})
    return account
