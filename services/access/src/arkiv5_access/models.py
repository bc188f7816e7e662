"""Tables of the access service: its own metadata, migrated by its own Alembic history.

Everything about rights is insert-only, so the full history of who had what, when, granted
by whom on whose request, stays listable: a right (`RightsEntry`) is never updated or
deleted; it is ended by a `RightsEnd` row, an account is disabled by an `AccountStatus`
row, a change request is decided by a `ChangeRequestDecision` row. The one exception is a
person's current full name and job title (`Person`), which a change request may update;
each request keeps the name and title it was submitted with.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import JSON, Column, DateTime, Index, UniqueConstraint
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from arkiv5_kit.messaging import messaging_metadata


class AccessTable(SQLModel, registry=registry()):
    """Base of every table model of this service (`class X(AccessTable, table=True)`).

    Its own registry keeps these tables out of SQLModel's global metadata, so services
    sharing one process never see each other's tables.
    """


def _json() -> Any:
    return Field(default_factory=list, sa_column=Column(JSON, nullable=False))


def _timestamp(**kwargs: Any) -> Any:
    return Field(sa_column=Column(DateTime(timezone=True), nullable=kwargs.get("nullable", False)))


class Unit(AccessTable, table=True):
    """An administrativ enhet; `parent_id` makes the tree."""

    __tablename__ = "unit"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    parent_id: UUID | None = Field(default=None, foreign_key="unit.id", index=True)
    valid_from: date
    valid_to: date | None = None
    created_at: datetime = _timestamp()


class UnitChange(AccessTable, table=True):
    """One change of a unit (created, renamed, moved, ended) and the unit as it stood after it.

    The unit row holds the current state; these rows are its history and number its
    `UnitChanged` events.
    """

    __tablename__ = "unit_change"
    __table_args__ = (UniqueConstraint("unit_id", "version"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    unit_id: UUID = Field(foreign_key="unit.id", index=True)
    version: int
    change: str = Field(max_length=20, description="created | renamed | moved | ended")
    name: str = Field(max_length=200)
    parent_id: UUID | None = None
    valid_to: date | None = None
    changed_by: UUID | None = None
    created_at: datetime = _timestamp()


class AccessCode(AccessTable, table=True):
    """A tilgangsrestriksjon code: the Noark list's and the archive's own (local) codes."""

    __tablename__ = "access_code"

    code: str = Field(primary_key=True, max_length=20)
    name: str = Field(max_length=200)
    is_local: bool = False
    created_at: datetime = _timestamp()


class Person(AccessTable, table=True):
    __tablename__ = "person"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    full_name: str = Field(max_length=200)
    job_title: str = Field(max_length=200)
    created_at: datetime = _timestamp()


class Account(AccessTable, table=True):
    """A login: a local account of a person (password), a federated one (the person signs in
    with a trusted identity provider; see `ExternalIdentity`), or a system client (client secret).

    `client_roles` and `allowed_scopes` belong to system clients; a person's roles are
    rights entries. Secrets are stored only as argon2 hashes.
    """

    __tablename__ = "account"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    kind: str = Field(max_length=20, description="local | federated | client")
    person_id: UUID | None = Field(default=None, foreign_key="person.id", index=True)
    username: str | None = Field(default=None, max_length=100, unique=True)
    client_id: str | None = Field(default=None, max_length=100, unique=True)
    secret_hash: str = Field(max_length=500)
    allowed_scopes: list[str] = _json()
    created_at: datetime = _timestamp()
    must_change_password: bool = Field(
        default=False, description="A local account's one-time password: changed before any token is issued")
    failed_logins: int = Field(default=0, description="Failed password sign-ins since the last success or unlock")
    locked_at: datetime | None = _timestamp(nullable=True)
    next_secret_hash: str | None = Field(
        default=None, max_length=500,
        description="A client's second secret during a rotation: both open, until the first is retired")


class ExternalIdentity(AccessTable, table=True):
    """Links a person's identity at a trusted issuer (the value of the issuer's identifier
    claim, e.g. `sub`, `oid`, `pid` or `email`) to the federated account it signs in to.

    The subject may be personal data (ID-porten's `pid` is a fødselsnummer): it stays in
    this table and the link API, never in events, logs or errors.
    """

    __tablename__ = "external_identity"
    __table_args__ = (UniqueConstraint("issuer", "subject"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    issuer: str = Field(max_length=500)
    subject: str = Field(max_length=255)
    account_id: UUID = Field(foreign_key="account.id", unique=True)
    linked_by: UUID | None = None
    created_at: datetime = _timestamp()


class AccountStatus(AccessTable, table=True):
    """Disabling or re-enabling an account from a date; the newest row in effect decides."""

    __tablename__ = "account_status"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    account_id: UUID = Field(foreign_key="account.id", index=True)
    is_disabled: bool
    effective_from: date
    changed_by: UUID | None = None
    created_at: datetime = _timestamp()


class AccessGroup(AccessTable, table=True):
    """A tilgangsgruppe: standing, or ad hoc tied to one saksmappe or journalpost."""

    __tablename__ = "access_group"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    name: str = Field(max_length=200)
    is_ad_hoc: bool = False
    saksmappe_id: UUID | None = None
    journalpost_id: UUID | None = None
    valid_from: date
    valid_to: date | None = None
    created_by: UUID | None = None
    created_at: datetime = _timestamp()


class RightsEntry(AccessTable, table=True):
    """One right of one subject for a period: a role, the own unit, a led unit, a clearance
    for an access code, or membership of a group.

    `person_id` is a person's id, or a system client's account id (as in `Principal`).
    """

    __tablename__ = "rights_entry"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    person_id: UUID = Field(index=True)
    kind: str = Field(max_length=20, description="role | unit | leads-unit | access-code | group")
    value: str = Field(max_length=100, index=True)
    valid_from: date
    valid_to: date | None = Field(default=None, description="Last day; None = open-ended")
    granted_by: UUID | None = Field(default=None, description="The person who granted it")
    source: str = Field(max_length=30, description="change-request | direct | seed | admin")
    change_request_id: UUID | None = Field(default=None, index=True)
    authorisation_id: UUID | None = None
    created_at: datetime = _timestamp()


class RightsEnd(AccessTable, table=True):
    """Ends a right early: it holds through `ends_on`. Before its start = never held."""

    __tablename__ = "rights_end"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    entry_id: UUID = Field(foreign_key="rights_entry.id", index=True)
    ends_on: date
    ended_by: UUID | None = None
    change_request_id: UUID | None = None
    reason: str = Field(max_length=40, description="change-request | review-revoked | admin")
    created_at: datetime = _timestamp()


class RightsSnapshot(AccessTable, table=True):
    """Every published `RightsChanged`, so versions only grow and publications are listable."""

    __tablename__ = "rights_snapshot"
    __table_args__ = (UniqueConstraint("person_id", "version"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    person_id: UUID = Field(index=True)
    version: int
    valid_from: date
    valid_to: date | None = None
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = _timestamp()


class GroupSnapshot(AccessTable, table=True):
    """Every published `GroupChanged`, for the group's version counter."""

    __tablename__ = "group_snapshot"
    __table_args__ = (UniqueConstraint("group_id", "version"),)

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    group_id: UUID = Field(index=True)
    version: int
    created_at: datetime = _timestamp()


class ChangeRequest(AccessTable, table=True):
    """A leader's written request (seed 004 §1): new user, changed rights or leaver."""

    __tablename__ = "change_request"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    kind: str = Field(max_length=20, description="new-user | change | leaver")
    person_id: UUID | None = Field(default=None, index=True)
    full_name: str = Field(max_length=200)
    job_title: str = Field(max_length=200)
    effective_date: date
    valid_to: date | None = None
    unit_id: UUID | None = None
    roles: list[str] = _json()
    led_unit_ids: list[str] = _json()
    access_codes: list[str] = _json()
    group_ids: list[str] = _json()
    username: str | None = Field(default=None, max_length=100)
    submitted_by: UUID
    submitted_at: datetime = _timestamp()


class ChangeRequestDecision(AccessTable, table=True):
    __tablename__ = "change_request_decision"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    change_request_id: UUID = Field(foreign_key="change_request.id", unique=True)
    outcome: str = Field(max_length=20, description="approved | rejected")
    decided_by: UUID
    note: str | None = Field(default=None, max_length=2000)
    decided_at: datetime = _timestamp()


class Authorisation(AccessTable, table=True):
    """A leader's (or the arkivleder's) direct grant to a case handler (seed 004 §2)."""

    __tablename__ = "authorisation"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    person_id: UUID = Field(index=True)
    granted_by: UUID
    needs_review: bool
    roles: list[str] = _json()
    access_codes: list[str] = _json()
    group_ids: list[str] = _json()
    valid_from: date
    valid_to: date | None = None
    rule: str = Field(max_length=100, description="The policy rule that allowed it")
    created_at: datetime = _timestamp()


class AuthorisationReview(AccessTable, table=True):
    __tablename__ = "authorisation_review"

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    authorisation_id: UUID = Field(foreign_key="authorisation.id", unique=True)
    outcome: str = Field(max_length=20, description="accepted | revoked")
    reviewed_by: UUID
    note: str | None = Field(default=None, max_length=2000)
    reviewed_at: datetime = _timestamp()


class AuditEntry(AccessTable, table=True):
    """Sporingslogg: ids, codes and outcomes only, never names or titles."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_action_occurred_at", "action", "occurred_at"),
        Index("ix_audit_entry_actor_occurred_at", "actor_id", "occurred_at"),
    )

    id: UUID = Field(default_factory=uuid4, primary_key=True)
    occurred_at: datetime = _timestamp()
    service: str = Field(max_length=40, index=True)
    action: str = Field(max_length=60, index=True)
    outcome: str = Field(max_length=20)
    actor_id: UUID | None = Field(default=None, index=True)
    subject_id: UUID | None = Field(default=None, index=True)
    object_type: str | None = Field(default=None, max_length=40)
    object_id: UUID | None = Field(default=None, index=True)
    access_code: str | None = Field(default=None, max_length=20)
    rule: str | None = Field(default=None, max_length=100)
    correlation_id: UUID | None = None
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class SigningKey(AccessTable, table=True):
    """A token signing key. It is published in the JWKS from `created_at` and signs from
    `activates_at`; it stops signing when a newer key activates or at `retired_at`, and
    leaves the JWKS once the last token it signed has expired. A compromised key is
    deleted: it leaves the JWKS at once."""

    __tablename__ = "signing_key"

    kid: str = Field(primary_key=True, max_length=64)
    alg: str = Field(max_length=10)
    public_jwk: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    private_pem: str
    is_encrypted: bool
    activates_at: datetime = _timestamp()
    created_at: datetime = _timestamp()
    retired_at: datetime | None = _timestamp(nullable=True)


metadata = AccessTable.metadata

# Everything Alembic compares against: the service's tables and the kit's outbox and inbox.
migration_metadata = [metadata, messaging_metadata]
