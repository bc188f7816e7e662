"""`arkiv5-access bootstrap`: what production needs before its first sign-in, made once.

The first arkivleder and systemansvarlig (local accounts with one-time passwords, a top
unit to belong to) and the service clients with their scopes. Idempotent: everything is
looked up by its natural key (unit code, username, client id) and only what is missing is
made, so a second run changes nothing and says so. New secrets go to a file readable by
its owner only (0600), never to the terminal; the run prints where they went.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import col

from arkiv5_contracts import scopes
from arkiv5_contracts.policy import Role
from arkiv5_kit.clock import SYSTEM_CLOCK as clock
from arkiv5_kit.outbox import Outbox

from .domain import audit, rights, units
from .domain.secrets import hash_secret
from .models import Account, Person, Unit

BOOTSTRAPPED = rights.Granter(granted_by=None, source="bootstrap")

# client id: (role, scopes). What each of our services is allowed to ask the others for.
SERVICE_CLIENTS: dict[str, tuple[Role, tuple[str, ...]]] = {
    "journal": (Role.INTERN_TJENESTE, (scopes.ACCESS_DECISIONS, scopes.ACCESS_AUDIT_WRITE, scopes.ACCESS_GROUPS_WRITE,
                                       scopes.ACCESS_RIGHTS_READ, scopes.CONVERSION_CONVERT,
                                       scopes.SVARUT_GATEWAY_SEND)),
    "access": (Role.INTERN_TJENESTE, (scopes.JOURNAL_READ,)),
    "conversion": (Role.INTERN_TJENESTE, (scopes.JOURNAL_DOCUMENTS_READ, scopes.JOURNAL_DOCUMENTS_WRITE_ARCHIVAL,
                                          scopes.ACCESS_AUDIT_WRITE)),
    "svarut-gateway": (Role.INTERN_TJENESTE, (scopes.JOURNAL_READ, scopes.JOURNAL_WRITE, scopes.JOURNAL_DISPATCH,
                                              scopes.CONVERSION_CONVERT, scopes.ACCESS_AUDIT_WRITE)),
    "intake": (Role.FAGSYSTEM, (scopes.JOURNAL_READ, scopes.JOURNAL_WRITE)),
}


@dataclass(frozen=True)
class Plan:
    """What to make: names come from the command line, secrets are generated here."""

    unit_code: str = "KOMMUNE"
    unit_name: str = "Kommunen"
    arkivleder: str = "arkivleder"
    systemansvarlig: str = "systemansvarlig"
    valid_from: date = field(default_factory=lambda: clock.today())


@dataclass
class Outcome:
    lines: list[str] = field(default_factory=list)
    secrets: list[tuple[str, str]] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any(not line.endswith(": exists, unchanged") for line in self.lines)


def env_name(name: str) -> str:
    return "".join(c if c.isalnum() else "_" for c in name.upper())


async def _unit(session: AsyncSession, outbox: Outbox, plan: Plan, outcome: Outcome) -> Unit:
    unit = await session.scalar(select(Unit).where(col(Unit.code) == plan.unit_code))
    if unit is not None:
        outcome.lines.append(f"unit {plan.unit_code}: exists, unchanged")
        return unit
    unit = Unit(code=plan.unit_code, name=plan.unit_name, valid_from=plan.valid_from, created_at=clock.now())
    session.add(unit)
    await session.flush()
    await units.created(session, outbox, unit=unit, by=None)
    outcome.lines.append(f"unit {plan.unit_code}: created")
    return unit


async def _person(
    session: AsyncSession, outbox: Outbox, *, username: str, role: Role, unit: Unit, plan: Plan, outcome: Outcome
) -> None:
    if await session.scalar(select(col(Account.id)).where(col(Account.username) == username)) is not None:
        outcome.lines.append(f"{role.value} {username}: exists, unchanged")
        return
    one_time = secrets.token_urlsafe(12)
    person = Person(full_name=role.value.capitalize(), job_title=role.value.capitalize(), created_at=clock.now())
    session.add(person)
    await session.flush()
    session.add(Account(kind="local", person_id=person.id, username=username, secret_hash=hash_secret(one_time),
                        must_change_password=True, created_at=clock.now()))
    pairs = rights.desired_pairs(roles=[role.value], unit_id=unit.id)
    await rights.add_rights(session, person_id=person.id, pairs=pairs, valid_from=plan.valid_from, valid_to=None,
                            by=BOOTSTRAPPED)
    await rights.publish_rights(session, outbox, person_id=person.id)
    await audit.record(session, action="bootstrap.person-created", outcome="allowed", actor_id=None,
                       subject_id=person.id, details={"role": role.value})
    outcome.lines.append(f"{role.value} {username}: created, one-time password in the secrets file")
    outcome.secrets.append((f"ONE_TIME_PASSWORD_{env_name(username)}", one_time))


async def _client(
    session: AsyncSession, outbox: Outbox, *, client_id: str, role: Role, allowed: tuple[str, ...], plan: Plan,
    outcome: Outcome,
) -> None:
    if await session.scalar(select(col(Account.id)).where(col(Account.client_id) == client_id)) is not None:
        outcome.lines.append(f"client {client_id}: exists, unchanged")
        return
    secret = secrets.token_urlsafe(32)
    account = Account(kind="client", client_id=client_id, secret_hash=hash_secret(secret),
                      allowed_scopes=sorted(allowed), created_at=clock.now())
    session.add(account)
    await session.flush()
    await rights.add_rights(session, person_id=account.id, pairs=rights.desired_pairs(roles=[role.value]),
                            valid_from=plan.valid_from, valid_to=None, by=BOOTSTRAPPED)
    await rights.publish_rights(session, outbox, person_id=account.id)
    await audit.record(session, action="bootstrap.client-created", outcome="allowed", actor_id=None,
                       subject_id=account.id, details={"role": role.value, "scopes": sorted(allowed)})
    outcome.lines.append(f"client {client_id}: created ({' '.join(sorted(allowed))}), secret in the secrets file")
    outcome.secrets.append((f"{env_name(client_id)}_CLIENT_SECRET", secret))


async def bootstrap(session: AsyncSession, outbox: Outbox, plan: Plan) -> Outcome:
    outcome = Outcome()
    unit = await _unit(session, outbox, plan, outcome)
    await _person(session, outbox, username=plan.arkivleder, role=Role.ARKIVLEDER, unit=unit, plan=plan,
                  outcome=outcome)
    await _person(session, outbox, username=plan.systemansvarlig, role=Role.SYSTEMANSVARLIG, unit=unit, plan=plan,
                  outcome=outcome)
    for client_id, (role, allowed) in SERVICE_CLIENTS.items():
        await _client(session, outbox, client_id=client_id, role=role, allowed=allowed, plan=plan, outcome=outcome)
    return outcome


def write_secrets(path: Path, new: list[tuple[str, str]]) -> None:
    """Appends `NAME=value` lines to a file only its owner may read (made 0600 before anything is written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.fchmod(descriptor, 0o600)
        with os.fdopen(descriptor, "a", encoding="utf-8") as out:
            descriptor = -1
            out.write(f"# arkiv5-access bootstrap {clock.now().isoformat()}\n")
            for name, value in new:
                out.write(f"{name}={value}\n")
    finally:
        if descriptor >= 0:
            os.close(descriptor)
